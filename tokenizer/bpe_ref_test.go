package tokenizer

import "sync"

// The merges applied in rank order (classic BPE encoding). Encoding uses the
// shortest spelling instead (matchTrie); this is the reference the tests
// compare it with.

// apply merges one segment in place (lowest rank first) and returns it.
// A short segment is merged by scanning for the best pair; a long one with a
// linked list and a heap of candidate pairs (O(n log n)).
func (m *Merges) apply(seg []int32) []int32 {
	if len(seg) > 24 {
		return m.applyHeap(seg)
	}
	for len(seg) > 1 {
		best, at := int32(-1), -1
		for i := 0; i+1 < len(seg); i++ {
			if r, ok := m.ranks().get(pairKey(seg[i], seg[i+1])); ok && (best < 0 || r < best) {
				best, at = r, i
			}
		}
		if at < 0 {
			break
		}
		id := int32(m.Base) + best
		a, b := seg[at], seg[at+1]
		w := at
		for i := at; i < len(seg); i++ {
			if i+1 < len(seg) && seg[i] == a && seg[i+1] == b {
				seg[w] = id
				i++
			} else {
				seg[w] = seg[i]
			}
			w++
		}
		seg = seg[:w]
	}
	return seg
}

// candHeap is a min-heap of candidate merges packed as rank<<32 | position:
// the lowest rank first, the leftmost among equal ranks.
type candHeap []uint64

func (h *candHeap) push(c uint64) {
	*h = append(*h, c)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p] <= s[i] {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *candHeap) pop() uint64 {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(s) && s[l] < s[m] {
			m = l
		}
		if l+1 < len(s) && s[l+1] < s[m] {
			m = l + 1
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// applyHeap is apply for long segments. Merging the lowest-ranked pair
// first, leftmost first among equal ranks, gives the same result as the
// scan: a merge only creates pairs of higher rank than its own.
func (m *Merges) applyHeap(seg []int32) []int32 {
	n := len(seg)
	next := make([]int32, n)
	prev := make([]int32, n)
	for i := range seg {
		next[i], prev[i] = int32(i+1), int32(i-1)
	}
	next[n-1] = -1
	h := make(candHeap, 0, n)
	for i := 0; i+1 < n; i++ {
		if r, ok := m.ranks().get(pairKey(seg[i], seg[i+1])); ok {
			h.push(uint64(r)<<32 | uint64(i))
		}
	}
	for len(h) > 0 {
		c := h.pop()
		r, i := int32(c>>32), int32(uint32(c))
		j := next[i]
		if seg[i] < 0 || j < 0 {
			continue
		}
		// Stale if a neighbour was merged since: the pair here changed.
		if cur, ok := m.ranks().get(pairKey(seg[i], seg[j])); !ok || cur != r {
			continue
		}
		seg[i] = int32(m.Base) + r
		seg[j] = -1
		next[i] = next[j]
		if k := next[j]; k >= 0 {
			prev[k] = i
		}
		if p := prev[i]; p >= 0 {
			if r2, ok := m.ranks().get(pairKey(seg[p], seg[i])); ok {
				h.push(uint64(r2)<<32 | uint64(p))
			}
		}
		if k := next[i]; k >= 0 {
			if r2, ok := m.ranks().get(pairKey(seg[i], seg[k])); ok {
				h.push(uint64(r2)<<32 | uint64(i))
			}
		}
	}
	w := 0
	for i := int32(0); i >= 0; i = next[i] {
		seg[w] = seg[i]
		w++
	}
	return seg[:w]
}

// rankCache holds each table's rank index (only this reference needs one).
var rankCache sync.Map // *Merges → *rankTable

// ranks indexes the merges by rank (built on first use).
func (m *Merges) ranks() *rankTable {
	if r, ok := rankCache.Load(m); ok {
		return r.(*rankTable)
	}
	r := newRankTable(len(m.Pairs))
	for i, p := range m.Pairs {
		r.put(pairKey(p[0], p[1]), int32(i))
	}
	rankCache.Store(m, &r)
	return &r
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
