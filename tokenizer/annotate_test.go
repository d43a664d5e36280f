package tokenizer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// Annotations of the shipped and the rich tokenizer on the corpus: the
// texts spell the document, the bytes add up to its length, every id has a
// known kind, and every kind occurs (recall and several tables in the rich one).
func TestAnnotate(t *testing.T) {
	shipped, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	rich, err := tokenizer.Load("testdata/rich.json")
	if err != nil {
		t.Fatal(err)
	}
	annotateCorpus(t, shipped, tokenizer.KindStructure, tokenizer.KindKey, tokenizer.KindValue, tokenizer.KindByte, "merge:0")
	annotateCorpus(t, rich, tokenizer.KindStructure, tokenizer.KindKey, tokenizer.KindValue, tokenizer.KindRecall, tokenizer.KindByte, "merge:0", "merge:15")
}

func annotateCorpus(t *testing.T, tok *tokenizer.Tokenizer, want ...string) {
	docs := loadCorpus(t)
	enc := tok.NewEncoder()
	kinds := map[string]int{}
	for i, doc := range docs[:min(len(docs), 1500)] {
		ids, _, err := enc.Encode(nil, doc)
		if err != nil {
			t.Fatal(err)
		}
		ann, err := tok.Annotate(ids)
		if err != nil || len(ann) != len(ids) {
			t.Fatalf("doc %d: %v (%d of %d ids)", i, err, len(ann), len(ids))
		}
		var text strings.Builder
		n := 0
		for j, a := range ann {
			text.WriteString(a.Text)
			n += a.Bytes
			kinds[a.KindName()]++
			if a.ID != ids[j] || a.N < 1 || (a.Kind == tokenizer.KindMerge) != (a.N > 1) {
				t.Fatalf("doc %d id %d: %+v", i, j, a)
			}
		}
		if text.String() != string(doc) || n != len(doc) {
			t.Fatalf("doc %d: annotations spell %d bytes, the document has %d", i, n, len(doc))
		}
	}
	for _, k := range want {
		if kinds[k] == 0 {
			t.Errorf("no id of kind %s (%v)", k, kinds)
		}
	}
	t.Logf("kinds: %v", kinds)
	// A prefix is fine; ids past the end and non-content ids are errors.
	ids, _, _ := enc.Encode(nil, docs[0])
	if ann, err := tok.Annotate(ids[:len(ids)/2]); err != nil || len(ann) != len(ids)/2 {
		t.Errorf("prefix: %v", err)
	}
	if _, err := tok.Annotate(append(append([]int32{}, ids...), ids[0])); err == nil {
		t.Error("an id past the end was accepted")
	}
	if _, err := tok.Annotate([]int32{int32(tok.Layout.PAD)}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("position 0")) {
		t.Errorf("PAD: %v", err)
	}
}
