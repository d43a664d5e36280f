package shards

import (
	"fmt"
	"testing"

	"github.com/tct-dev/tct/tokenizer"
)

func TestStarts(t *testing.T) {
	cases := []struct {
		n, ctx, stride int
		want           []int
	}{
		{0, 4, 4, nil},
		{1, 4, 4, []int{0}},
		{4, 4, 4, []int{0}},
		{5, 4, 4, []int{0, 1}},
		{8, 4, 4, []int{0, 4}},
		{9, 4, 4, []int{0, 4, 5}},
		{10, 4, 2, []int{0, 2, 4, 6}},
		{11, 4, 2, []int{0, 2, 4, 6, 7}},
	}
	for _, c := range cases {
		got := Starts(c.n, c.ctx, c.stride)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Starts(%d,%d,%d) = %v, want %v", c.n, c.ctx, c.stride, got, c.want)
		}
		// Every token is a target of some window, and the last window ends at the last token.
		covered := make([]bool, c.n)
		for _, s := range got {
			for i := s; i < min(s+c.ctx, c.n); i++ {
				covered[i] = true
			}
		}
		for i, ok := range covered {
			if !ok {
				t.Errorf("Starts(%d,%d,%d): token %d is never a target", c.n, c.ctx, c.stride, i)
			}
		}
		if len(got) > 0 && min(got[len(got)-1]+c.ctx, c.n) != c.n {
			t.Errorf("Starts(%d,%d,%d): the last window does not end at the last token", c.n, c.ctx, c.stride)
		}
	}
}

func TestWindow(t *testing.T) {
	l := tokenizer.NewLayout(100, 8)
	toks := []int32{1, 2, 3, 4, 5, 6}
	w, valid := Window(l, toks, 0, len(toks), 8)
	if fmt.Sprint(w) != "[101 1 2 3 4 5 6 100 100]" || valid != 7 {
		t.Errorf("short document: %v valid %d", w, valid)
	}
	w, valid = Window(l, toks, 2, len(toks), 3)
	if fmt.Sprint(w) != "[103 3 4 5]" || valid != 4 {
		t.Errorf("inner window: %v valid %d", w, valid)
	}
	// Positions past the range are clamped to the last position token.
	long := make([]int32, 40)
	w, _ = Window(l, long, 30, 40, 4)
	if w[0] != int32(l.PositionBase+l.PositionCount-1) {
		t.Errorf("clamped position: %d", w[0])
	}
}

// A document of 10 tokens in windows of 4: every token is a target.
func ExampleWindow() {
	l := tokenizer.NewLayout(8192, 512)
	doc := []int32{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	for _, s := range Starts(len(doc), 4, 4) {
		w, valid := Window(l, doc, s, len(doc), 4)
		fmt.Println(s, w, valid)
	}
	// Output:
	// 0 [8193 10 11 12 13] 5
	// 4 [8197 14 15 16 17] 5
	// 6 [8199 16 17 18 19] 5
}
