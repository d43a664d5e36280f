package tokenizer

// matchTrie is the vocabulary as a trie over base tokens, for segmenting a
// segment into as few ids as possible (dynamic programming over matches).
// Edges live in one open-addressing table keyed by (node, token).
type matchTrie struct {
	keys  []uint64 // node<<16 | token, +1; 0 is empty
	next  []int32
	mask  uint64
	ids   []int32 // node → the id whose expansion ends here, or -1
	depth int     // longest expansion
	root  []int32 // the root's children by token (every match starts there), 0: none
}

func newMatchTrie(m *Merges) *matchTrie {
	edges := 0
	for id := 0; id < m.Size(); id++ {
		edges += len(m.exp[id])
	}
	size := 1
	for size < 2*edges+16 {
		size <<= 1
	}
	t := &matchTrie{keys: make([]uint64, size), next: make([]int32, size), mask: uint64(size - 1), ids: []int32{-1}}
	for id := 0; id < m.Size(); id++ {
		n := int32(0)
		for _, b := range m.exp[id] {
			c, ok := t.child(n, b)
			if !ok {
				c = int32(len(t.ids))
				t.ids = append(t.ids, -1)
				t.put(n, b, c)
			}
			n = c
		}
		if t.ids[n] < 0 {
			t.ids[n] = int32(id)
		}
		t.depth = max(t.depth, len(m.exp[id]))
	}
	t.root = make([]int32, 1<<16)
	for b := range t.root {
		if c, ok := t.child(0, Token(b)); ok {
			t.root[b] = c
		}
	}
	return t
}

func (t *matchTrie) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> 40 }

func (t *matchTrie) put(n int32, b Token, c int32) {
	k := uint64(n)<<16 | uint64(b) + 1
	for i := t.slot(k) & t.mask; ; i = (i + 1) & t.mask {
		if t.keys[i] == 0 {
			t.keys[i], t.next[i] = k, c
			return
		}
	}
}

func (t *matchTrie) child(n int32, b Token) (int32, bool) {
	k := uint64(n)<<16 | uint64(b) + 1
	for i := t.slot(k) & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k:
			return t.next[i], true
		case 0:
			return 0, false
		}
	}
}

// segment writes the fewest ids that spell seg (ties: the earliest longest
// match), appending to dst. cost and from are scratch buffers.
func (t *matchTrie) segment(dst []int32, seg []Token, cost, from, via []int32) []int32 {
	n := len(seg)
	for i := 1; i <= n; i++ {
		cost[i] = 1 << 30
	}
	cost[0] = 0
	for i := 0; i < n; i++ {
		if cost[i] >= 1<<30 {
			continue
		}
		node := t.root[seg[i]]
		if node == 0 {
			continue // cannot happen: every base token is an id
		}
		for j := i; j < n; j++ {
			if j > i {
				c, ok := t.child(node, seg[j])
				if !ok {
					break
				}
				node = c
			}
			if id := t.ids[node]; id >= 0 && cost[i]+1 < cost[j+1] {
				cost[j+1], from[j+1], via[j+1] = cost[i]+1, int32(i), id
			}
		}
	}
	k := len(dst)
	for j := n; j > 0; j = int(from[j]) {
		dst = append(dst, via[j])
	}
	for a, b := k, len(dst)-1; a < b; a, b = a+1, b-1 {
		dst[a], dst[b] = dst[b], dst[a]
	}
	return dst
}
