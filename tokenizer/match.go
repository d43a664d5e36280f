package tokenizer

import (
	"math/bits"
	"slices"
)

// matchTrie is the vocabulary as a trie over base tokens, for segmenting a
// segment into as few ids as possible (dynamic programming over matches).
//
// The walk is memory-bound, so the layout is compact and each step reads
// one record: a node with one child starts a chain (the run of nodes with
// one child and no id, up to the next node that has either), walked by
// comparing tokens; only edges out of nodes with several children live in
// the hash table. A step carries the next node's hot word (its id, its
// chain length and first token, or a Bloom mask of its children) and its
// ref: for a node with several children its number (the hash key), for a
// chain its record in the arena.
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
	shift := uint(bits.Len(uint(m.Base)))
	edges := map[uint32]int32{}
	ids := []int32{-1}
	for id := 0; id < m.Size(); id++ {
		n := int32(0)
		for _, b := range m.exp[id] {
			k := uint32(n)<<shift | uint32(b)
			c, ok := edges[k]
			if !ok {
				c = int32(len(ids))
				ids = append(ids, -1)
				edges[k] = c
			}
			n = c
		}
		if ids[n] < 0 {
			ids[n] = int32(id)
		}
	}
	children := bfsOrder(edges, ids, shift)
	hot := make([]uint64, len(ids))
	for n, id := range ids {
		if id < 0 {
			id = noID
		}
		hot[n] = uint64(id) << 16
		switch cs := children[n]; len(cs) {
		case 0:
			hot[n] |= leafMark
		case 1:
		default:
			for _, e := range cs {
				hot[n] |= 1 << (32 + bloomBit(Token(e.tok)))
			}
		}
	}
	// Chains: from each node with one child, its tokens and its end.
	type chain struct {
		toks []Token
		end  int32
	}
	chains := make([]chain, len(ids))
	for n := len(ids) - 1; n >= 0; n-- { // children first: a chain extends its child's
		if len(children[n]) != 1 {
			continue
		}
		e := children[n][0]
		c := chain{toks: []Token{Token(e.tok)}, end: e.child}
		if ids[e.child] < 0 && len(children[e.child]) == 1 {
			next := chains[e.child]
			c.toks, c.end = append(c.toks, next.toks...), next.end
		}
		chains[n] = c
		hot[n] |= uint64(c.toks[0])<<32 | uint64(len(c.toks))
	}
	t := &matchTrie{shift: shift}
	// Arena records, for the chains a walk can land on: those starting at
	// a root child, at a child of a node with several children, or at a
	// chain's end (the interior of a chain is never landed on).
	refOf := make([]int32, len(ids))
	for n := range refOf {
		refOf[n] = int32(n)
	}
	landable := make([]bool, len(ids))
	for n, cs := range children {
		if n == 0 || len(cs) > 1 {
			for _, e := range cs {
				landable[e.child] = true
			}
		}
	}
	for n := range chains {
		if chains[n].toks != nil {
			landable[chains[n].end] = true
		}
	}
	for n := range ids {
		if landable[n] && chains[n].toks != nil {
			refOf[n] = int32(len(t.arena))
			t.arena = append(t.arena, make([]Token, 6)...)
			t.arena = append(t.arena, chains[n].toks...)
		}
	}
	for n := range ids {
		if landable[n] && chains[n].toks != nil {
			r, end := refOf[n], chains[n].end
			putRef(t.arena[r:], refOf[end], hot[end])
		}
	}
	// The hash table: edges out of nodes with several children.
	var many int
	for _, cs := range children {
		if len(cs) > 1 {
			many += len(cs)
		}
	}
	size := 16
	for size < 2*many {
		size <<= 1
	}
	t.slots, t.mask, t.hash = make([]matchSlot, size), uint32(size-1), uint(32-bits.Len(uint(size-1)))
	for p, cs := range children {
		if len(cs) > 1 {
			for _, e := range cs {
				t.put(int32(p), Token(e.tok), matchSlot{ref: refOf[e.child], hot: hot[e.child]})
			}
		}
	}
	t.root = make([]matchSlot, m.Base)
	for _, e := range children[0] {
		t.root[e.tok] = matchSlot{ref: refOf[e.child], hot: hot[e.child]}
	}
	return t
}

func putRef(rec []Token, ref int32, hot uint64) {
	rec[0], rec[1] = Token(ref), Token(ref>>16)
	rec[2], rec[3], rec[4], rec[5] = Token(hot), Token(hot>>16), Token(hot>>32), Token(hot>>48)
}

func getRef(rec []Token) (int32, uint64) {
	return int32(rec[0]) | int32(rec[1])<<16,
		uint64(rec[2]) | uint64(rec[3])<<16 | uint64(rec[4])<<32 | uint64(rec[5])<<48
}

type trieEdgeOut struct {
	tok   uint32
	child int32
}

// bfsOrder renumbers the nodes breadth first (children by token), in place
// in ids, and returns each node's children: a parent has a smaller number
// than its children.
func bfsOrder(edges map[uint32]int32, ids []int32, shift uint) [][]trieEdgeOut {
	children := make([][]trieEdgeOut, len(ids))
	mask := uint32(1)<<shift - 1
	for k, c := range edges {
		p := k >> shift
		children[p] = append(children[p], trieEdgeOut{k & mask, c})
	}
	order := make([]int32, 0, len(ids)) // new number → old
	newNum := make([]int32, len(ids))
	order = append(order, 0)
	for i := 0; i < len(order); i++ {
		cs := children[order[i]]
		slices.SortFunc(cs, func(a, b trieEdgeOut) int { return int(a.tok) - int(b.tok) })
		for _, e := range cs {
			newNum[e.child] = int32(len(order))
			order = append(order, e.child)
		}
	}
	out := make([][]trieEdgeOut, len(ids))
	for old, cs := range children {
		for _, e := range cs {
			out[newNum[old]] = append(out[newNum[old]], trieEdgeOut{e.tok, newNum[e.child]})
		}
	}
	oldIDs := slices.Clone(ids)
	for n, old := range order {
		ids[n] = oldIDs[old]
	}
	return out
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
