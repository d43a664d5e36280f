package tokenizer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tct-dev/tct/tokenizer"
)

func TestPresplit(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"name":"CI","on":["push"]}`, `{"|name|":"|CI|","|on|":["|push|"]}`},
		{`run npm ci && npm test`, `run| npm| ci| &&| npm| test`},
		{`v12345 x`, `v|123|45| x`},
		{`abc1234`, `abc|123|4`},
		{"a   b", "a|  | b"},
		{"  ", "  "},
		{`"héllo wörld"`, `"héllo| wörld|"`},
		{"", ""},
	} {
		var parts []string
		tokenizer.Presplit([]byte(c.in), func(b []byte) { parts = append(parts, string(b)) })
		got := strings.Join(parts, "|")
		if got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
		if strings.Join(parts, "") != c.in {
			t.Errorf("%q: chunks do not spell the text", c.in)
		}
	}
}

// A byte-level BPE learned from the corpus: every document round-trips, the
// file round-trips, and bad ids or texts are errors.
func TestTextBPE(t *testing.T) {
	docs := loadCorpus(t)[:2000]
	chunks := map[string]int64{}
	for _, d := range docs[:1000] {
		tokenizer.Presplit(d, func(b []byte) { chunks[string(b)]++ })
	}
	pairs, _, err := tokenizer.TrainClasses(256, 1, tokenizer.TextSegments(chunks), tokenizer.TrainOptions{Merges: 1500, MinFreq: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tokenizer.NewTextBPE(pairs[0])
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenizer.NewText(b, 1)
	file, err := tok.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := tokenizer.Parse(file)
	if err != nil || back.Kind() != tokenizer.KindBPE || back.Layout != tok.Layout || back.MergeCount() != len(pairs[0]) {
		t.Fatalf("parse: %v", err)
	}
	again, _ := back.Marshal()
	if !bytes.Equal(again, file) {
		t.Error("re-marshal differs")
	}
	enc := back.NewEncoder()
	var ids []int32
	total, bytesIn := 0, 0
	for i, d := range docs {
		ids, _, err = enc.Encode(ids[:0], d)
		if err != nil {
			t.Fatal(err)
		}
		out, n, err := back.Decode(ids)
		if err != nil || n != len(ids) || !bytes.Equal(out, d) {
			t.Fatalf("doc %d: %v, %d of %d ids, %q", i, err, n, len(ids), out)
		}
		ann, err := back.Annotate(ids)
		if err != nil || len(ann) != len(ids) || ann[0].Kind != tokenizer.KindText {
			t.Fatalf("doc %d annotate: %v", i, err)
		}
		total, bytesIn = total+len(ids), bytesIn+len(d)
	}
	if per := float64(bytesIn) / float64(total); per < 2.5 {
		t.Errorf("%.2f bytes per token: the merges do not compress", per)
	}
	if _, _, err := back.Decode([]int32{int32(b.Size())}); err == nil {
		t.Error("an id past the content range decoded")
	}
	if _, _, err := enc.Encode(nil, []byte(`{"a":`)); err == nil {
		t.Error("a truncated document encoded")
	}
	ids, _, _ = enc.Encode(nil, docs[0])
	if _, _, err := back.Decode(ids[:len(ids)/2]); err == nil {
		t.Error("a truncated sequence decoded")
	}
	if _, n, err := back.Decode(append(append([]int32{}, ids...), ids...)); err != nil || n != len(ids) {
		t.Errorf("surplus: %d of %d, %v", n, 2*len(ids), err)
	}
	if _, err := tokenizer.NewTextBPE([][2]int32{{300, 1}}); err == nil {
		t.Error("a merge of an undefined id was accepted")
	}
}

// FuzzTextRoundTrip: any JSON object round-trips through a small BPE.
func FuzzTextRoundTrip(f *testing.F) {
	f.Add([]byte(`{"on":"push","jobs":{"a":{"runs-on":"ubuntu-latest"}}}`))
	f.Add([]byte(`{"x":"\u00e9\n\t","y":[1,2.5e3,true,null]}`))
	b, err := tokenizer.NewTextBPE([][2]int32{{'"', ':'}, {'o', 'n'}, {256, '"'}, {'{', '"'}})
	if err != nil {
		f.Fatal(err)
	}
	tok := tokenizer.NewText(b, 1)
	f.Fuzz(func(t *testing.T, doc []byte) {
		ids, _, err := tok.NewEncoder().Encode(nil, doc)
		if err != nil {
			return
		}
		out, n, err := tok.Decode(ids)
		if bytes.HasPrefix(bytes.TrimLeft(doc, " \t\r\n"), []byte("{")) && err == nil && (n != len(ids) || !bytes.Equal(out, doc[:len(out)])) {
			t.Fatalf("%q: decoded %q (%d of %d ids)", doc, out, n, len(ids))
		}
	})
}
