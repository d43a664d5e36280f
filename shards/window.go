// Package shards turns token sequences into training windows and writes and
// reads them as Parquet shards with a manifest. It knows the tokenizer's
// layout but nothing of models.
package shards

import "github.com/tct-dev/tct/tokenizer"

// Window returns the window of a document that starts at token start and
// holds tokens [start, end): [position token, tokens..., PAD...], always
// ctx+1 long, and the valid length (position token included). Targets are
// window[1:]; PAD positions are masked out of the loss.
func Window(l tokenizer.Layout, tokens []int32, start, end, ctx int) (window []int32, valid int) {
	window = make([]int32, ctx+1)
	window[0] = l.Position(start)
	n := copy(window[1:], tokens[start:min(end, start+ctx, len(tokens))])
	for i := 1 + n; i < len(window); i++ {
		window[i] = int32(l.PAD)
	}
	return window, 1 + n
}

// Starts plans the windows of a document of n tokens with context ctx and
// stride: starts 0, stride, 2·stride, ... while a window still ends inside
// the document, plus a last window that ends exactly at the last token, so
// every token is a target at least once. A document shorter than ctx gets
// one (padded) window; an empty document none.
func Starts(n, ctx, stride int) []int {
	if n == 0 {
		return nil
	}
	if stride <= 0 {
		stride = ctx
	}
	if n <= ctx {
		return []int{0}
	}
	var out []int
	s := 0
	for ; s+ctx < n; s += stride {
		out = append(out, s)
	}
	if last := n - ctx; out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}
