package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// packedRow packs docs into one window of context c (PAD 0 after them):
// inputs, targets, the mask of the targets to learn and the segment ids.
func packedRow(c int, docs ...[]int32) (in, tg []int32, mask []float32, seg []int32) {
	ids, segs := make([]int32, c+1), make([]int32, c+1)
	n := 0
	for s, d := range docs {
		for _, id := range append([]int32{200}, d...) { // 200: the position token of start 0
			ids[n], segs[n] = id, int32(s+1)
			n++
		}
	}
	mask = make([]float32, c)
	for j := range c {
		if segs[j+1] != 0 && segs[j+1] == segs[j] {
			mask[j] = 1
		}
	}
	return ids[:c], ids[1:], mask, segs[:c]
}

// rowBatch is a batch of one packed row; without packed, no segment ids.
func rowBatch(c int, packed bool, docs ...[]int32) *Batch {
	in, tg, mask, seg := packedRow(c, docs...)
	b := &Batch{B: 1, C: c, Inputs: in, Targets: tg, Mask: mask}
	if packed {
		b.Segments = seg
	}
	for _, m := range mask {
		b.Tokens += int(m)
	}
	return b
}

// A document's per-target loss is the same alone in its window and packed
// behind another document: the segment mask keeps them apart, and RoPE
// makes its offset in the window irrelevant.
func TestPackedLossEqualsAlone(t *testing.T) {
	c := tinyConfig(t)
	tr, rng, pattern := patternTrainer(t, c, 7)
	defer tr.Close()
	// A few steps on packed batches, so that the weights are not the random init.
	for range 5 {
		b := patternBatch(c, rng, pattern)
		b.Segments = make([]int32, b.B*b.C)
		for i := range b.Segments {
			b.Segments[i] = int32(1 + i%b.C/5) // segments of 5
			if i%b.C%5 == 4 {
				b.Mask[i] = 0 // the target is the next segment's first id
			}
		}
		if _, err := tr.Step(b); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	doc := func(n int) []int32 {
		d := make([]int32, n)
		for i := range d {
			d[i] = int32(1 + r.IntN(c.Vocab-1))
		}
		return d
	}
	a, b := doc(9), doc(5)
	nll := func(bt *Batch) []float32 {
		out, err := tr.EvalTargets(bt)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	aloneA, aloneB := nll(rowBatch(c.Context, false, a)), nll(rowBatch(c.Context, false, b))
	packed := nll(rowBatch(c.Context, true, a, b))
	maxDiff := func(x, y []float32) float64 {
		d := 0.0
		for i := range x {
			d = max(d, math.Abs(float64(x[i]-y[i])))
		}
		return d
	}
	off := len(a) + 1
	dA, dB := maxDiff(aloneA[:len(a)], packed[:len(a)]), maxDiff(aloneB[:len(b)], packed[off:off+len(b)])
	t.Logf("max |Δ loss|: first document %.2g, second %.2g (nats; alone %v)", dA, dB, aloneB[:len(b)])
	if dA > 1e-5 || dB > 1e-5 || slices.Max(aloneB[:len(b)]) == 0 {
		t.Fatalf("packed loss differs from alone: %.3g, %.3g", dA, dB)
	}
	if packed[off-1] != 0 {
		t.Errorf("the target across the boundary is learned: %v", packed[off-1])
	}
	// Without the segment mask (one segment) the second document sees the
	// first: the comparison above can tell.
	one := rowBatch(c.Context, true, a, b)
	for i := range one.Segments[:off+len(b)] {
		one.Segments[i] = 1
	}
	if d := maxDiff(aloneB[:len(b)], nll(one)[off:off+len(b)]); d < 1e-3 {
		t.Errorf("without the segment mask the loss changes only by %.2g", d)
	}
}
