package tokenizer_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// The shipped tokenizer: loads fast, re-marshals to the same bytes, and
// round-trips every converted document of the corpus with ids in range.
// The shipped tokenizer is the one-table one (one merge table, plain BPE, no
// recall); testdata/rich.json is the rich variant (16 tables, pruned,
// recall), trained on the first dump with the Rich* options.
func TestShippedTokenizer(t *testing.T) {
	rich, err := os.ReadFile("testdata/rich.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		file []byte
		rich bool
	}{{"shipped", configs.Tokenizer, false}, {"rich", rich, true}} {
		t.Run(c.name, func(t *testing.T) { checkTokenizerFile(t, c.file, c.rich) })
	}
}

func checkTokenizerFile(t *testing.T, file []byte, rich bool) {
	start := time.Now()
	tok, err := tokenizer.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Logf("load took %v (target 50 ms; the race detector and a busy machine slow it)", d)
	}
	again, err := tok.Marshal()
	if err != nil || !bytes.Equal(again, file) {
		t.Fatalf("re-marshal differs (%v)", err)
	}
	l := tok.Layout
	if l.Content != 8192 || tok.Grammar.Size > tokenizer.MaxAlphabet || l.PAD != l.Content || l.PositionBase <= l.PAD {
		t.Fatalf("layout %+v, base %d", l, tok.Grammar.Size)
	}
	docs := loadCorpus(t)
	enc := tok.NewEncoder()
	var ids []int32
	total, recalled := 0, 0
	for i, doc := range docs {
		var st tokenizer.Stats
		ids, st, err = enc.Encode(ids[:0], doc)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		recalled += st.Recalled
		for _, id := range ids {
			if id < 0 || int(id) >= l.Content {
				t.Fatalf("doc %d: id %d outside [0, %d)", i, id, l.Content)
			}
		}
		out, consumed, err := tok.Decode(ids)
		if err != nil || consumed != len(ids) || !bytes.Equal(out, doc) {
			t.Fatalf("doc %d: round trip failed (%v)", i, err)
		}
		total += len(ids)
	}
	t.Logf("%d documents, %d tokens, %d values and lines recalled", len(docs), total, recalled)
	// In the rich variant recall is on, and repeated values and lines of real workflows use it.
	if rich != (tok.Grammar.Recall() > 0) || rich && recalled < len(docs) || !rich && recalled > 0 {
		t.Errorf("%d recall slots; %d values and lines recalled in %d documents", tok.Grammar.Recall(), recalled, len(docs))
	}
	// Surplus and truncation are reported.
	ids, _, _ = enc.Encode(nil, docs[0])
	if _, consumed, err := tok.Decode(append(append([]int32{}, ids...), ids...)); err != nil || consumed != len(ids) {
		t.Errorf("surplus: consumed %d of %d, %v", consumed, 2*len(ids), err)
	}
	if _, _, err := tok.Decode(ids[:len(ids)/2]); err == nil {
		t.Error("a truncated sequence decoded")
	}
	if _, _, err := tok.Decode([]int32{int32(l.Content)}); err == nil {
		t.Error("an id past the content range decoded")
	}
	// Pruned tables hold hidden merges (expansion steps) past the content ids.
	t0 := tok.Tables[0]
	if rich != (t0.Hidden > 0) || t0.Size() != l.Content || t0.Expansion(int32(t0.Size())) != nil {
		t.Errorf("table 0: %d hidden merges, %d content ids; want a full table, pruned in the rich variant", t0.Hidden, t0.Size())
	}
	if rich != (len(tok.Tables) > 1) {
		t.Errorf("%d merge tables", len(tok.Tables))
	}
}
