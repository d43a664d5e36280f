// Package ngram is the floor a trained model must beat: an interpolated
// Kneser-Ney n-gram model of token ids, counted on the training documents
// and scored in bits per byte on held-out ones. It needs no accelerator.
package ngram

import (
	"fmt"
	"math"
	"slices"
)

// Model is an interpolated Kneser-Ney model of order N over ids 0..Vocab-1.
// Order k keeps its k-grams (raw counts at the top order, continuation
// counts N1+(· g) below) and, per context of k-1 ids, the sum of those
// counts and the number of distinct next ids.
type Model struct {
	Order, Vocab int
	levels       []level // levels[k-1] is order k
}

// level holds one order's sorted tables and its discount.
type level struct {
	grams, ctxs     []uint64
	count           []uint32 // per gram
	total, distinct []uint32 // per context
	d               float64
}

// bos pads the start of a document, so every id has a full history.
const bos = -1

// hashes returns, for every position i of the padded sequence, the hash of
// the k ids ending at i (0 for positions with fewer than k ids).
func hashes(seq []int32, k int) []uint64 {
	out := make([]uint64, len(seq))
	if k < 1 {
		return out
	}
	for i := k - 1; i < len(seq); i++ {
		h := uint64(k) * 0x9e3779b97f4a7c15
		for _, t := range seq[i-k+1 : i+1] {
			h ^= uint64(uint32(t)) + 0x632be59bd9b4e019
			h *= 0xbf58476d1ce4e5b9
			h ^= h >> 31
		}
		out[i] = h
	}
	return out
}

// pad prefixes a document with order-1 BOS ids.
func pad(doc []int32, order int) []int32 {
	seq := make([]int32, order-1, order-1+len(doc))
	for i := range seq {
		seq[i] = bos
	}
	return append(seq, doc...)
}

// pair is one occurrence of a k-gram: its context (the k-1 ids before its
// last one), itself, and the (k+1)-gram that extends it to the left.
type pair struct{ ctx, gram, next uint64 }

// Train counts the documents, one order at a time (memory: a few words per
// id of the documents).
func Train(docs [][]int32, order, vocab int) (*Model, error) {
	if order < 1 || order > 12 {
		return nil, fmt.Errorf("n-gram order %d: want 1 to 12", order)
	}
	m := &Model{Order: order, Vocab: vocab, levels: make([]level, order)}
	for k := order; k >= 1; k-- {
		m.levels[k-1] = newLevel(occurrences(docs, order, k), k == order)
	}
	return m, nil
}

// occurrences lists every k-gram of the padded documents.
func occurrences(docs [][]int32, order, k int) []pair {
	var ps []pair
	for _, doc := range docs {
		seq := pad(doc, order)
		gram, ctx, next := hashes(seq, k), hashes(seq, k-1), hashes(seq, k+1)
		for i := order - 1; i < len(seq); i++ {
			p := pair{gram: gram[i]}
			if k > 1 {
				p.ctx = ctx[i-1]
			}
			if k < order {
				p.next = next[i]
			}
			ps = append(ps, p)
		}
	}
	return ps
}

// newLevel counts one order: raw counts at the top, continuation counts below.
func newLevel(ps []pair, top bool) level {
	slices.SortFunc(ps, func(a, b pair) int {
		if a.gram != b.gram {
			return cmpU(a.gram, b.gram)
		}
		return cmpU(a.next, b.next)
	})
	var lv level
	for i, p := range ps {
		newGram := i == 0 || p.gram != ps[i-1].gram
		if newGram {
			lv.grams, lv.count = append(lv.grams, p.gram), append(lv.count, 0)
		}
		if top || newGram || p.next != ps[i-1].next {
			lv.count[len(lv.count)-1]++
		}
	}
	lv.contexts(ps)
	lv.d = discount(lv.count)
	return lv
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// contexts sums, per context, the counts of its distinct grams.
func (lv *level) contexts(ps []pair) {
	type cg struct{ ctx, gram uint64 }
	cgs := make([]cg, len(ps))
	for i, p := range ps {
		cgs[i] = cg{p.ctx, p.gram}
	}
	slices.SortFunc(cgs, func(a, b cg) int {
		if a.ctx != b.ctx {
			return cmpU(a.ctx, b.ctx)
		}
		return cmpU(a.gram, b.gram)
	})
	for i, x := range cgs {
		if i > 0 && x == cgs[i-1] {
			continue
		}
		if i == 0 || x.ctx != cgs[i-1].ctx {
			lv.ctxs, lv.total, lv.distinct = append(lv.ctxs, x.ctx), append(lv.total, 0), append(lv.distinct, 0)
		}
		lv.total[len(lv.total)-1] += lv.lookup(x.gram)
		lv.distinct[len(lv.distinct)-1]++
	}
}

// discount is Ney's estimate n1 / (n1 + 2 n2), kept inside (0.05, 0.95).
func discount(counts []uint32) float64 {
	var n1, n2 float64
	for _, c := range counts {
		switch c {
		case 1:
			n1++
		case 2:
			n2++
		}
	}
	if n1+2*n2 == 0 {
		return 0.5
	}
	return min(max(n1/(n1+2*n2), 0.05), 0.95)
}

func (lv *level) lookup(g uint64) uint32 {
	if i, ok := slices.BinarySearch(lv.grams, g); ok {
		return lv.count[i]
	}
	return 0
}

func (lv *level) context(h uint64) (total, distinct float64) {
	if i, ok := slices.BinarySearch(lv.ctxs, h); ok {
		return float64(lv.total[i]), float64(lv.distinct[i])
	}
	return 0, 0
}

// Bits returns the code length in bits of every id of doc, each predicted
// from the ids before it in the document.
func (m *Model) Bits(doc []int32) []float64 {
	seq := pad(doc, m.Order)
	hs := make([][]uint64, m.Order+1)
	for k := 1; k <= m.Order; k++ {
		hs[k] = hashes(seq, k)
	}
	out := make([]float64, len(doc))
	for i := m.Order - 1; i < len(seq); i++ {
		p := 1 / float64(m.Vocab)
		for k := 1; k <= m.Order; k++ {
			lv := &m.levels[k-1]
			var ctx uint64 // the unigram level has one, empty, context
			if k > 1 {
				ctx = hs[k-1][i-1]
			}
			total, distinct := lv.context(ctx)
			if total == 0 {
				continue
			}
			c := float64(lv.lookup(hs[k][i]))
			p = max(c-lv.d, 0)/total + lv.d*distinct/total*p
		}
		out[i-(m.Order-1)] = -math.Log2(p)
	}
	return out
}
