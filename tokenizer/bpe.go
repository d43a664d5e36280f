package tokenizer

import (
	"container/heap"
	"fmt"
	"sort"
)

// Merges are BPE merges over base tokens: merge i joins the pair Pairs[i]
// into the id First+i. They never cross a segment end (see EncodeSegments).
type Merges struct {
	Base int // the base alphabet size
	// First is the first merged id: Base, or 257 for a table whose
	// positions only ever start with a byte or END (after a letter, see
	// lexical states): the ids of keys, enum values and structure are dead
	// there and serve as merges.
	First int
	Pairs [][2]int32 // in learning order (rank)
	// Right, when set, names the table of each merge's right part: a merge
	// that starts in this table's class may run into another class (a KEY
	// token, then the start of a run script).
	Right []uint8
	// Hidden is the number of trailing merges that are not content ids:
	// steps that longer merges are built from, but that the shortest
	// spelling of the training text (almost) never used (see PruneTables).
	Hidden int
	exp    [][]Token // id → base tokens
}

// NewMerges indexes one table of merges.
func NewMerges(base int, pairs [][2]int32) (*Merges, error) {
	ts, err := newTables(base, []TableSpec{{Pairs: pairs}})
	if err != nil {
		return nil, err
	}
	return ts[0], nil
}

// TableSpec is a merge table as stored: its pairs, the table of each
// pair's right part (nil: the same table), how many trailing merges are
// hidden, and its first merged id (0: the alphabet size).
type TableSpec struct {
	Pairs  [][2]int32
	Right  []uint8
	Hidden int
	First  int
}

// newTables indexes merge tables whose merges may end in another table's ids.
func newTables(base int, specs []TableSpec) ([]*Merges, error) {
	ts := make([]*Merges, len(specs))
	single := make([]Token, base) // the base ids' expansions, shared by all tables
	for i := range single {
		single[i] = Token(i)
	}
	for t, sp := range specs {
		ps := sp.Pairs
		first := sp.First
		if first == 0 {
			first = base
		}
		if first != base && (first < int(TokEnd)+1 || first > base) {
			return nil, fmt.Errorf("merge table %d: first merged id %d; want %d to %d", t, first, TokEnd+1, base)
		}
		m := &Merges{Base: base, First: first, Pairs: ps, exp: make([][]Token, first+len(ps))}
		if sp.Right != nil {
			if len(sp.Right) != len(ps) {
				return nil, fmt.Errorf("merge table %d: %d right classes for %d merges", t, len(sp.Right), len(ps))
			}
			m.Right = sp.Right
		}
		if first+len(ps) >= noID { // noID marks "no id" in the match trie
			return nil, fmt.Errorf("merge table %d: %d ids do not fit 16 bits", t, first+len(ps))
		}
		if sp.Hidden < 0 || sp.Hidden > len(ps) {
			return nil, fmt.Errorf("merge table %d: %d hidden merges of %d", t, sp.Hidden, len(ps))
		}
		m.Hidden = sp.Hidden
		for i := range first {
			m.exp[i] = single[i : i+1 : i+1]
		}
		ts[t] = m
	}
	// Expansions, resolved across tables; busy marks one being resolved, so
	// that a cycle is an error, not a stack overflow.
	busy := make([][]bool, len(ts))
	for t, m := range ts {
		busy[t] = make([]bool, len(m.Pairs))
	}
	// Expansions are carved from large chunks: one allocation per chunk,
	// not per id (loading the shipped file makes ~100k of them).
	var chunk []Token
	carve := func(n int) []Token {
		if cap(chunk)-len(chunk) < n {
			chunk = make([]Token, 0, max(n, 1<<16))
		}
		chunk = chunk[:len(chunk)+n]
		return chunk[len(chunk)-n : len(chunk) : len(chunk)]
	}
	var expand func(t int, id int32) ([]Token, error)
	expand = func(t int, id int32) ([]Token, error) {
		m := ts[t]
		if id < 0 || int(id) >= len(m.exp) {
			return nil, fmt.Errorf("merge table %d: no id %d", t, id)
		}
		if m.exp[id] != nil {
			return m.exp[id], nil
		}
		i := int(id) - m.First
		if busy[t][i] {
			return nil, fmt.Errorf("merge table %d: merge %d refers to itself", t, i)
		}
		busy[t][i] = true
		p, rt := m.Pairs[i], t
		if m.Right != nil {
			if rt = int(m.Right[i]); rt >= len(ts) {
				return nil, fmt.Errorf("merge table %d: merge %d refers to table %d", t, i, rt)
			}
		}
		a, err := expand(t, p[0])
		if err != nil {
			return nil, err
		}
		b, err := expand(rt, p[1])
		if err != nil {
			return nil, err
		}
		e := carve(len(a) + len(b))
		copy(e[copy(e, a):], b)
		m.exp[id] = e
		return m.exp[id], nil
	}
	for t, m := range ts {
		total := base
		for i := range m.Pairs {
			e, err := expand(t, int32(m.First+i))
			if err != nil {
				return nil, err
			}
			total += len(e)
		}
		if total >= maxMatchNodes(base) { // bounds the trie's nodes
			return nil, fmt.Errorf("merge table %d: expansions of %d tokens in all; at most %d", t, total, maxMatchNodes(base))
		}
	}
	return ts, nil
}

// Size is the number of content ids (base + merges, less the hidden ones).
func (m *Merges) Size() int { return m.First + len(m.Pairs) - m.Hidden }

// Expansion returns the base tokens of a content id (nil for any other).
func (m *Merges) Expansion(id int32) []Token {
	if id < 0 || int(id) >= m.Size() {
		return nil
	}
	return m.exp[id]
}

// TrainOptions control merge learning.
type TrainOptions struct {
	Merges  int   // how many merges to learn (per table, for tables that start at the alphabet size)
	MinFreq int64 // stop when the best pair is rarer (default 2)
	// First is each table's first merged id (nil or 0: the alphabet size); a
	// table that starts lower holds that many more merges.
	First []int
}

// firstID is table c's first merged id.
func (o TrainOptions) firstID(base, c int) int {
	if c < len(o.First) && o.First[c] > 0 {
		return o.First[c]
	}
	return base
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
	pair  uint64
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
	pairs, _, err := TrainClasses(base, 1, segs, opt)
	if err != nil {
		return nil, err
	}
	return pairs[0], nil
}

// TrainClasses learns one merge table per merge class in one BPE loop. The
// segments spell each token as class·base + token (see CountSegments): a
// merge belongs to the class of its first token and may run into another
// class; each table gets up to opt.Merges merges (more by the ids it starts
// below the alphabet, see TrainOptions.First), so the classes do not
// compete for ids. It returns each table's pairs and the table of each
// pair's right part (nil for a table whose merges stay in its class).
func TrainClasses(base, classes int, segs Segments, opt TrainOptions) ([][][2]int32, [][]uint8, error) {
	if opt.MinFreq <= 0 {
		opt.MinFreq = 2
	}
	if classes < 1 || classes*base > 0x10000 {
		return nil, nil, fmt.Errorf("%d merge classes of %d base tokens do not fit 16-bit segment keys", classes, base)
	}
	keys := make([]string, 0, len(segs))
	for k := range segs {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a fixed word order: results never depend on map order
	// Symbols: class·base + token for base tokens, then merged symbols in
	// learning order, each with its class, its id in its table and its
	// expansion (a merge that spells an id its table already has reuses it).
	var symClass []uint8
	var symID []int32
	var symExp [][]Token
	for c := range classes {
		for b := range base {
			symClass = append(symClass, uint8(c))
			symID = append(symID, int32(b))
			symExp = append(symExp, []Token{Token(b)})
		}
	}
	words := make([][]int32, len(keys))
	freq := make([]int64, len(keys))
	counts := map[uint64]int64{}
	where := map[uint64][]int32{}
	for wi, k := range keys {
		w := make([]int32, len(k)/2)
		for i := range w {
			w[i] = int32(k[2*i])<<8 | int32(k[2*i+1])
			if int(w[i]) >= len(symClass) {
				return nil, nil, fmt.Errorf("segment token %d is not a symbol of %d classes", w[i], classes)
			}
		}
		words[wi], freq[wi] = w, segs[k]
		for i := 0; i+1 < len(w); i++ {
			p := symPair(w[i], w[i+1])
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
	pairs := make([][][2]int32, classes)
	right := make([][]uint8, classes)
	spelled := make([]map[string]int32, classes) // expansion → symbol, per class
	for c := range spelled {
		spelled[c] = map[string]int32{}
	}
	step := int32(0)
	for h.Len() > 0 {
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
		a, b := int32(top.pair>>32), int32(uint32(top.pair))
		c := symClass[a]
		exp := append(append([]Token{}, symExp[a]...), symExp[b]...)
		ek := tokenKey(exp)
		id, ok := spelled[c][ek]
		if !ok {
			first := opt.firstID(base, int(c))
			if len(pairs[c]) >= opt.Merges+base-first {
				delete(counts, top.pair) // the class's table is full
				continue
			}
			pairs[c] = append(pairs[c], [2]int32{symID[a], symID[b]})
			right[c] = append(right[c], symClass[b])
			id = int32(len(symClass))
			symClass = append(symClass, c)
			symID = append(symID, int32(first+len(pairs[c])-1))
			symExp = append(symExp, exp)
			spelled[c][ek] = id
		}
		step++
		changed := map[uint64]bool{}
		for _, wi := range where[top.pair] {
			if stamp[wi] == step {
				continue // listed twice
			}
			stamp[wi] = step
			w, f := words[wi], freq[wi]
			out := w[:0:0]
			prevMerged := false // the pair on the left was already uncounted by the previous merge
			for i := 0; i < len(w); i++ {
				if i+1 < len(w) && w[i] == a && w[i+1] == b {
					if i > 0 && !prevMerged {
						dec(counts, symPair(w[i-1], a), f, changed)
					}
					if i+2 < len(w) {
						dec(counts, symPair(b, w[i+2]), f, changed)
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
			// Count the pairs around the new symbol.
			for i := range out {
				if out[i] != id {
					continue
				}
				if i > 0 {
					p := symPair(out[i-1], id)
					counts[p] += f
					changed[p] = true
					where[p] = append(where[p], wi)
				}
				if i+1 < len(out) && out[i+1] != id {
					p := symPair(id, out[i+1])
					counts[p] += f
					changed[p] = true
					where[p] = append(where[p], wi)
				}
			}
			words[wi] = out
		}
		delete(where, top.pair)
		delete(counts, top.pair)
		ps := make([]uint64, 0, len(changed))
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
	for c := range right {
		same := true
		for _, r := range right[c] {
			same = same && int(r) == c
		}
		if same {
			right[c] = nil
		}
	}
	return pairs, right, nil
}

func symPair(a, b int32) uint64 { return uint64(a)<<32 | uint64(uint32(b)) }

func tokenKey(toks []Token) string {
	b := make([]byte, 2*len(toks))
	for i, t := range toks {
		b[2*i], b[2*i+1] = byte(t>>8), byte(t)
	}
	return string(b)
}

func dec(counts map[uint64]int64, p uint64, f int64, changed map[uint64]bool) {
	counts[p] -= f
	changed[p] = true
}
