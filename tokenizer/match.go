package tokenizer

import (
	"math/bits"
	"slices"
)

// matchTrie is the vocabulary as a trie over base tokens, for spelling a
// segment with the fewest ids. The walk is memory-bound, so each step reads
// one record: a run of one-child nodes is a chain in the arena, and only
// edges out of nodes with several children live in the hash table.
type matchTrie struct {
	arena []Token     // chain records: next ref (2), next hot (4), the chain's tokens
	slots []matchSlot // edges out of nodes with several children
	mask  uint32
	shift uint // token bits of a key
	hash  uint // 32 - log2(table size): slots are the hash's top bits
	root  []matchSlot
}

// Hot words: id<<16 | chain length (0: several children, leafMark: a
// leaf), and in the top 32 bits the chain's first token, or for a node with
// several children a Bloom mask of their tokens (most walks end at a token
// that has no child: no lookup). id noID: none.
const (
	noID     = 0xFFFF
	leafMark = 0xFFFF
)

// matchSlot is one edge: key node<<shift | token, +1 (0: empty), and the
// child's ref and hot word, side by side so a step touches one cache line.
type matchSlot struct {
	key uint32
	ref int32
	hot uint64
}

// maxMatchNodes bounds a trie so that (node, token) keys fit 32 bits.
func maxMatchNodes(base int) int { return 1<<(32-bits.Len(uint(base))) - 1 }

func bloomBit(b Token) uint64 { return uint64(uint32(b)*0x9E3779B1) >> 27 }

func newMatchTrie(m *Merges) *matchTrie {
	var s trieShape
	s.ids, s.kids, s.first, s.tokInto = buildMatchTrie(m)
	hot := s.hotWords()
	chainLen, chainEnd := s.chains(hot)
	t := &matchTrie{shift: uint(bits.Len(uint(m.Base)))}
	refOf := t.layChains(&s, hot, chainLen, chainEnd)
	t.fillSlots(&s, hot, refOf)
	t.root = make([]matchSlot, m.Base)
	for c := s.first[0]; c < s.first[0]+s.kids[0]; c++ {
		t.root[s.tokInto[c]] = matchSlot{ref: refOf[c], hot: hot[c]}
	}
	return t
}

// trieShape is the trie of buildMatchTrie, before its layout.
type trieShape struct {
	ids, kids, first []int32
	tokInto          []Token
}

// child returns the i-th child of n.
func (s *trieShape) child(n, i int32) int32 { return s.first[n] + i }

// hotWords returns each node's hot word, less its chain (see chains).
func (s *trieShape) hotWords() []uint64 {
	hot := make([]uint64, len(s.ids))
	for n, id := range s.ids {
		if id < 0 {
			id = noID
		}
		hot[n] = uint64(id) << 16
		switch s.kids[n] {
		case 0:
			hot[n] |= leafMark
		case 1:
		default:
			for c := s.first[n]; c < s.first[n]+s.kids[n]; c++ {
				hot[n] |= 1 << (32 + bloomBit(s.tokInto[c]))
			}
		}
	}
	return hot
}

// chains returns, from each node with one child, its chain's length and
// end (children first: a chain extends its child's), and adds the chain to
// the node's hot word.
func (s *trieShape) chains(hot []uint64) (chainLen, chainEnd []int32) {
	chainLen = make([]int32, len(s.ids))
	chainEnd = make([]int32, len(s.ids))
	for n := int32(len(s.ids)) - 1; n >= 0; n-- {
		if s.kids[n] != 1 {
			continue
		}
		c := s.child(n, 0)
		chainLen[n], chainEnd[n] = 1, c
		if s.ids[c] < 0 && s.kids[c] == 1 {
			chainLen[n], chainEnd[n] = 1+chainLen[c], chainEnd[c]
		}
		hot[n] |= uint64(s.tokInto[c])<<32 | uint64(chainLen[n])
	}
	return chainLen, chainEnd
}

// layChains writes the arena records of the chains a walk can land on:
// those starting at a root child, at a child of a node with several
// children, or at a chain's end (the interior of a chain is never landed
// on). It returns each node's ref.
func (t *matchTrie) layChains(s *trieShape, hot []uint64, chainLen, chainEnd []int32) []int32 {
	refOf := make([]int32, len(s.ids))
	landable := make([]bool, len(s.ids))
	for n := range s.ids {
		refOf[n] = int32(n)
		if n == 0 || s.kids[n] > 1 {
			for c := s.first[n]; c < s.first[n]+s.kids[n]; c++ {
				landable[c] = true
			}
		}
		if chainLen[n] > 0 {
			landable[chainEnd[n]] = true
		}
	}
	for n := range s.ids {
		if landable[n] && chainLen[n] > 0 {
			refOf[n] = int32(len(t.arena))
			t.arena = append(t.arena, make([]Token, 6)...)
			for c := int32(n); c != chainEnd[n]; c = s.child(c, 0) {
				t.arena = append(t.arena, s.tokInto[s.child(c, 0)])
			}
		}
	}
	for n := range s.ids {
		if landable[n] && chainLen[n] > 0 {
			end := chainEnd[n]
			putRef(t.arena[refOf[n]:], refOf[end], hot[end])
		}
	}
	return refOf
}

// fillSlots builds the hash table: the edges out of nodes with several children.
func (t *matchTrie) fillSlots(s *trieShape, hot []uint64, refOf []int32) {
	var many int32
	for n := range s.ids {
		if s.kids[n] > 1 {
			many += s.kids[n]
		}
	}
	size := 16
	for size < 2*int(many) {
		size <<= 1
	}
	t.slots, t.mask, t.hash = make([]matchSlot, size), uint32(size-1), uint(32-bits.Len(uint(size-1)))
	for n := range s.ids {
		if s.kids[n] > 1 {
			for c := s.first[n]; c < s.first[n]+s.kids[n]; c++ {
				t.put(int32(n), s.tokInto[c], matchSlot{ref: refOf[c], hot: hot[c]})
			}
		}
	}
}

// buildMatchTrie builds the trie of m's expansions, its nodes numbered breadth
// first (the shallow ones, visited at every position, lie together; a
// parent comes before its children): per node the id that ends there (-1:
// none), its number of children and the number of its first child (the
// children of a node are consecutive), and per node the token into it.
func buildMatchTrie(m *Merges) (ids, kids, first []int32, tokInto []Token) {
	// Insert the expansions in sorted order: each shares its longest common
	// prefix with the previous one, so the trie grows along one path,
	// without a map, and each node's children come in token order.
	order := make([]int32, m.Size())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := slices.Compare(m.exp[a], m.exp[b]); c != 0 {
			return c
		}
		return int(a - b)
	})
	dfsIDs := []int32{-1}
	parent := []int32{-1}
	dfsTok := []Token{0}
	path := []int32{0}
	var prev []Token
	for _, id := range order {
		e := m.exp[id]
		l := 0
		for l < len(e) && l < len(prev) && e[l] == prev[l] {
			l++
		}
		path = path[:l+1]
		for _, b := range e[l:] {
			c := int32(len(dfsIDs))
			dfsIDs, parent, dfsTok = append(dfsIDs, -1), append(parent, path[len(path)-1]), append(dfsTok, b)
			path = append(path, c)
		}
		if n := path[len(path)-1]; dfsIDs[n] < 0 {
			dfsIDs[n] = id
		}
		prev = e
	}
	// Children lists by counting sort on the parent (stable: token order).
	n := len(dfsIDs)
	start := make([]int32, n+1)
	for c := 1; c < n; c++ {
		start[parent[c]+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	lists := make([]int32, n)
	fill := slices.Clone(start[:n])
	for c := 1; c < n; c++ {
		p := parent[c]
		lists[fill[p]] = int32(c)
		fill[p]++
	}
	// Breadth first: the children of a node get consecutive numbers.
	ids, kids, first, tokInto = make([]int32, n), make([]int32, n), make([]int32, n), make([]Token, n)
	queue := make([]int32, 1, n) // new number → old
	for i := 0; i < len(queue); i++ {
		old := queue[i]
		ids[i], tokInto[i] = dfsIDs[old], dfsTok[old]
		first[i], kids[i] = int32(len(queue)), start[old+1]-start[old]
		queue = append(queue, lists[start[old]:start[old+1]]...)
	}
	return ids, kids, first, tokInto
}

func putRef(rec []Token, ref int32, hot uint64) {
	rec[0], rec[1] = Token(ref), Token(ref>>16)
	rec[2], rec[3], rec[4], rec[5] = Token(hot), Token(hot>>16), Token(hot>>32), Token(hot>>48)
}

func getRef(rec []Token) (int32, uint64) {
	return int32(rec[0]) | int32(rec[1])<<16,
		uint64(rec[2]) | uint64(rec[3])<<16 | uint64(rec[4])<<32 | uint64(rec[5])<<48
}

func (t *matchTrie) slot(k uint32) uint32 { return (k * 0x9E3779B1) >> t.hash }

func (t *matchTrie) put(n int32, b Token, s matchSlot) {
	s.key = uint32(n)<<t.shift | uint32(b) + 1
	for i := t.slot(s.key) & t.mask; ; i = (i + 1) & t.mask {
		if t.slots[i].key == 0 {
			t.slots[i] = s
			return
		}
	}
}

// child returns the ref and hot word of the child of node n by b.
func (t *matchTrie) child(n int32, b Token) (int32, uint64, bool) {
	k := uint32(n)<<t.shift | uint32(b) + 1
	for i := t.slot(k) & t.mask; ; i = (i + 1) & t.mask {
		switch e := &t.slots[i]; e.key {
		case k:
			return e.ref, e.hot, true
		case 0:
			return 0, 0, false
		}
	}
}

// shortestSpelling writes the fewest ids that spell seg (ties: the earliest
// longest match), appending to dst. An id starting at seg[i] comes from the
// table of cls[i], the merge class of that position. cost, from and via
// are scratch buffers.
func shortestSpelling(tries []*matchTrie, dst []int32, seg []Token, cls []uint8, cost, from, via []int32) []int32 {
	n := len(seg)
	for i := 1; i <= n; i++ {
		cost[i] = 1 << 30
	}
	cost[0] = 0
	for i := 0; i < n; i++ {
		if cost[i]+1 >= cost[n] {
			// No spelling through i beats the one that already reaches the
			// end (and the spelling up to i is settled): short segments
			// spelled by one or two ids end here.
			continue
		}
		t := tries[cls[i]]
		r := &t.root[seg[i]]
		ref, h := r.ref, r.hot
		next := cost[i] + 1
		for j := i; ; {
			// ref and h describe the node that spells seg[i..j]
			if id := h >> 16 & 0xFFFF; id != noID && next < cost[j+1] {
				cost[j+1], from[j+1], via[j+1] = next, int32(i), int32(id)
			}
			if l := int(h & 0xFFFF); l != 0 {
				if l == leafMark || j+l >= n || Token(h>>32) != seg[j+1] {
					break // a leaf; no id ends inside a chain; or the chain differs at once
				}
				rec := t.arena[ref:][:6+l]
				want, got := rec[6:], seg[j+1:][:l]
				k := 1
				for k < l && want[k] == got[k] {
					k++
				}
				if k < l {
					break
				}
				ref, h = getRef(rec)
				j += l
				continue
			}
			if j++; j >= n || h>>(32+bloomBit(seg[j]))&1 == 0 {
				break
			}
			c, ch, ok := t.child(ref, seg[j])
			if !ok {
				break
			}
			ref, h = c, ch
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
