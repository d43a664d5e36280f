package tokenizer

import (
	"container/heap"
	"fmt"
	"sort"
)

// Merges are BPE merges over base tokens: merge i joins the pair Pairs[i]
// into the id Base+i. They never cross a segment end (see EncodeSegments).
type Merges struct {
	Base  int        // the base alphabet size; merged ids start here
	Pairs [][2]int32 // in learning order (rank)
	rank  rankTable
	exp   [][]Token // id → base tokens
}

// rankTable maps a pair to its merge rank: open addressing with linear
// probing over a power-of-two table, several times faster than a Go map on
// the hot path of encoding.
type rankTable struct {
	keys  []uint32 // pairKey+1; 0 is empty
	ranks []int32
	mask  uint32
}

func newRankTable(n int) rankTable {
	size := 1
	for size < 4*n+16 {
		size <<= 1
	}
	return rankTable{keys: make([]uint32, size), ranks: make([]int32, size), mask: uint32(size - 1)}
}

func hashPair(k uint32) uint32 { return (k * 0x9E3779B1) >> 7 }

func (t *rankTable) put(k uint32, r int32) {
	for i := hashPair(k) & t.mask; ; i = (i + 1) & t.mask {
		if t.keys[i] == 0 || t.keys[i] == k+1 {
			t.keys[i], t.ranks[i] = k+1, r
			return
		}
	}
}

func (t *rankTable) get(k uint32) (int32, bool) {
	for i := hashPair(k) & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k + 1:
			return t.ranks[i], true
		case 0:
			return 0, false
		}
	}
}

func pairKey(a, b int32) uint32 { return uint32(a)<<16 | uint32(b) }

// NewMerges indexes a list of merges.
func NewMerges(base int, pairs [][2]int32) (*Merges, error) {
	m := &Merges{Base: base, Pairs: pairs, rank: newRankTable(len(pairs))}
	m.exp = make([][]Token, base+len(pairs))
	for i := range base {
		m.exp[i] = []Token{Token(i)}
	}
	for i, p := range pairs {
		id := base + i
		if p[0] < 0 || p[1] < 0 || int(p[0]) >= id || int(p[1]) >= id {
			return nil, fmt.Errorf("merge %d: pair %v refers to a later id", i, p)
		}
		if id > 0xFFFF {
			return nil, fmt.Errorf("merge %d: id %d does not fit 16 bits", i, id)
		}
		m.rank.put(pairKey(p[0], p[1]), int32(i))
		m.exp[id] = append(append([]Token{}, m.exp[p[0]]...), m.exp[p[1]]...)
	}
	return m, nil
}

// Size is the number of ids (base + merges).
func (m *Merges) Size() int { return m.Base + len(m.Pairs) }

// Expansion returns the base tokens of an id.
func (m *Merges) Expansion(id int32) []Token {
	if id < 0 || int(id) >= len(m.exp) {
		return nil
	}
	return m.exp[id]
}

// TrainOptions control merge learning.
type TrainOptions struct {
	Merges  int   // how many merges to learn
	MinFreq int64 // stop when the best pair is rarer (default 2)
}

// Segments counts distinct segments (as base-token strings) with their frequency.
type Segments map[string]int64

// Add counts the segments of one encoded document.
func (s Segments) Add(toks []Token, bounds []int32) {
	buf := make([]byte, 0, 64)
	start := 0
	for _, end := range bounds {
		buf = buf[:0]
		for _, t := range toks[start:end] {
			buf = append(buf, byte(t>>8), byte(t))
		}
		s[string(buf)]++
		start = int(end)
	}
}

// Merge adds another count (for parallel counting).
func (s Segments) Merge(o Segments) {
	for k, v := range o {
		s[k] += v
	}
}

type pairEntry struct {
	count int64
	pair  uint32
}

type pairHeap []pairEntry

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].pair < h[j].pair // ties: smallest pair, for determinism
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairEntry)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Train learns merges over segment counts: the classic BPE loop with
// incremental pair counts. The result depends only on the counts.
func Train(base int, segs Segments, opt TrainOptions) ([][2]int32, error) {
	if opt.MinFreq <= 0 {
		opt.MinFreq = 2
	}
	keys := make([]string, 0, len(segs))
	for k := range segs {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a fixed word order: results never depend on map order
	words := make([][]int32, len(keys))
	freq := make([]int64, len(keys))
	counts := map[uint32]int64{}
	where := map[uint32][]int32{}
	for wi, k := range keys {
		w := make([]int32, len(k)/2)
		for i := range w {
			w[i] = int32(k[2*i])<<8 | int32(k[2*i+1])
		}
		words[wi], freq[wi] = w, segs[k]
		for i := 0; i+1 < len(w); i++ {
			p := pairKey(w[i], w[i+1])
			counts[p] += freq[wi]
			where[p] = append(where[p], int32(wi))
		}
	}
	h := make(pairHeap, 0, len(counts))
	for p, c := range counts {
		h = append(h, pairEntry{c, p})
	}
	heap.Init(&h)
	stamp := make([]int32, len(words))
	for i := range stamp {
		stamp[i] = -1
	}
	var merges [][2]int32
	for len(merges) < opt.Merges && h.Len() > 0 {
		top := heap.Pop(&h).(pairEntry)
		if cur := counts[top.pair]; cur != top.count {
			if cur > 0 {
				heap.Push(&h, pairEntry{cur, top.pair})
			}
			continue
		}
		if top.count < opt.MinFreq {
			break
		}
		a, b := int32(top.pair>>16), int32(top.pair&0xFFFF)
		id := int32(base + len(merges))
		if id > 0xFFFF {
			return nil, fmt.Errorf("vocabulary past 65,536 ids")
		}
		merges = append(merges, [2]int32{a, b})
		changed := map[uint32]bool{}
		mi := int32(len(merges) - 1)
		for _, wi := range where[top.pair] {
			if stamp[wi] == mi {
				continue // listed twice
			}
			stamp[wi] = mi
			w, f := words[wi], freq[wi]
			out := w[:0:0]
			prevMerged := false // the pair on the left was already uncounted by the previous merge
			for i := 0; i < len(w); i++ {
				if i+1 < len(w) && w[i] == a && w[i+1] == b {
					if i > 0 && !prevMerged {
						dec(counts, pairKey(w[i-1], a), f, changed)
					}
					if i+2 < len(w) {
						dec(counts, pairKey(b, w[i+2]), f, changed)
					}
					dec(counts, top.pair, f, changed)
					out = append(out, id)
					i++
					prevMerged = true
				} else {
					out = append(out, w[i])
					prevMerged = false
				}
			}
			// Count the pairs around the new id.
			for i := range out {
				if out[i] != id {
					continue
				}
				if i > 0 {
					p := pairKey(out[i-1], id)
					counts[p] += f
					changed[p] = true
					where[p] = append(where[p], wi)
				}
				if i+1 < len(out) && out[i+1] != id {
					p := pairKey(id, out[i+1])
					counts[p] += f
					changed[p] = true
					where[p] = append(where[p], wi)
				}
			}
			words[wi] = out
		}
		delete(where, top.pair)
		delete(counts, top.pair)
		ps := make([]uint32, 0, len(changed))
		for p := range changed {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		for _, p := range ps {
			if c := counts[p]; c > 0 {
				heap.Push(&h, pairEntry{c, p})
			}
		}
	}
	return merges, nil
}

func dec(counts map[uint32]int64, p uint32, f int64, changed map[uint32]bool) {
	counts[p] -= f
	changed[p] = true
}
