package shards

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tct-dev/tct/tokenizer"
)

func TestPacker(t *testing.T) {
	l := tokenizer.NewLayout(1000, 64)
	for _, c := range []struct {
		ctx     int
		lens    []int
		windows int
	}{
		{ctx: 8, lens: []int{3}, windows: 1},
		{ctx: 8, lens: []int{3, 4}, windows: 1},    // 4+5 = 9 slots: one full window
		{ctx: 8, lens: []int{3, 3, 3}, windows: 2}, // the third goes on in the next window
		{ctx: 8, lens: []int{20}, windows: 3},      // 8+8+4 tokens
		{ctx: 8, lens: []int{7, 1, 5, 30, 2}, windows: 7},
		{ctx: 4, lens: []int{3, 1, 1, 1, 1, 2}, windows: 4}, // a window with 1 slot left is closed
		{ctx: 16, lens: []int{0, 5, 0, 5}, windows: 1},      // empty documents take no slot
	} {
		t.Run(fmt.Sprint(c.ctx, c.lens), func(t *testing.T) {
			var docs [][]int32
			var all []int32 // every content token, in order
			for d, n := range c.lens {
				var toks []int32
				for i := range n {
					toks = append(toks, int32(d*100+i))
				}
				docs, all = append(docs, toks), append(all, toks...)
			}
			p := &Packer{Layout: l, Context: c.ctx}
			var rows []PackedRow
			emit := func(r PackedRow) error { rows = append(rows, r); return nil }
			touched := 0
			for d, toks := range docs {
				n, err := p.Add(int64(d), toks, emit)
				if err != nil {
					t.Fatal(err)
				}
				touched += n
			}
			if err := p.Flush(emit); err != nil {
				t.Fatal(err)
			}
			if len(rows) != c.windows {
				t.Fatalf("%d windows, want %d", len(rows), c.windows)
			}
			var targets []int32
			segments, pad := 0, 0
			for i, r := range rows {
				if len(r.Tokens) != c.ctx+1 || len(r.Segments()) != c.ctx+1 {
					t.Fatalf("window %d: %d ids, %d segment ids", i, len(r.Tokens), len(r.Segments()))
				}
				checkSegments(t, l, r, docs)
				mask := make([]float32, c.ctx)
				TargetMask(r.Segments(), mask)
				for j, m := range mask {
					if m == 1 {
						targets = append(targets, r.Tokens[j+1])
					}
				}
				segments += int(slices.Max(r.Segments()))
				pad += len(r.Tokens) - int(r.Valid)
				if i < len(rows)-1 && len(r.Tokens)-int(r.Valid) > 1 {
					t.Errorf("window %d: %d PAD slots before the last window", i, len(r.Tokens)-int(r.Valid))
				}
			}
			if !slices.Equal(targets, all) {
				t.Errorf("targets %v\nwant every token once: %v", targets, all)
			}
			if segments != touched {
				t.Errorf("%d segments, Add reported %d", segments, touched)
			}
			t.Logf("fill %.3f", float64(len(all))/float64(len(all)+pad))
		})
	}
}

// checkSegments checks that a window's segments are numbered 1, 2, ... with
// 0 on PAD from Valid on, each starting with the position token of where
// its tokens start in their document.
func checkSegments(t *testing.T, l tokenizer.Layout, r PackedRow, docs [][]int32) {
	t.Helper()
	want := int32(0)
	for j, s := range r.Segments() {
		switch {
		case j >= int(r.Valid):
			if s != 0 || r.Tokens[j] != int32(l.PAD) {
				t.Fatalf("slot %d past valid %d: segment %d id %d", j, r.Valid, s, r.Tokens[j])
			}
		case j == 0 || s != r.Segments()[j-1]:
			if j > 0 && r.Tokens[j] != l.Position(0) {
				t.Fatalf("slot %d: a segment after the first does not start its document", j)
			}
			want++
			if s != want {
				t.Fatalf("slot %d: segment %d, want %d", j, s, want)
			}
			if j+1 >= int(r.Valid) || r.Segments()[j+1] != s {
				t.Fatalf("slot %d: a segment without content tokens", j)
			}
			next := r.Tokens[j+1] // doc*100 + index in the document
			if r.Tokens[j] != l.Position(int(next%100)) {
				t.Fatalf("slot %d: position token %d before token %d", j, r.Tokens[j], next)
			}
			if int(s) > len(r.SegmentDocs) || r.SegmentDocs[s-1] != int64(next/100) {
				t.Fatalf("slot %d: segment %d of documents %v, its first token is %d", j, s, r.SegmentDocs, next)
			}
			if j == 0 && (r.DocID != int64(next/100) || r.Start != next%100) {
				t.Fatalf("window of doc %d start %d, its first token is %d", r.DocID, r.Start, next)
			}
		}
	}
}
