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
		m, err := newTable(t, base, sp, single)
		if err != nil {
			return nil, err
		}
		ts[t] = m
	}
	x := newExpander(ts)
	for t, m := range ts {
		total := base
		for i := range m.Pairs {
			e, err := x.expand(t, int32(m.First+i))
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

// newTable checks table t's spec and indexes its base ids; the merges'
// expansions are resolved later, across tables.
func newTable(t, base int, sp TableSpec, single []Token) (*Merges, error) {
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
	return m, nil
}

// expander resolves merge expansions across tables.
type expander struct {
	ts []*Merges
	// busy marks an expansion being resolved, so that a cycle is an error,
	// not a stack overflow.
	busy [][]bool
	// chunk is carved into expansions: one allocation per chunk, not per id.
	chunk []Token
}

func newExpander(ts []*Merges) *expander {
	x := &expander{ts: ts, busy: make([][]bool, len(ts))}
	for t, m := range ts {
		x.busy[t] = make([]bool, len(m.Pairs))
	}
	return x
}

func (x *expander) carve(n int) []Token {
	if cap(x.chunk)-len(x.chunk) < n {
		x.chunk = make([]Token, 0, max(n, 1<<16))
	}
	x.chunk = x.chunk[:len(x.chunk)+n]
	return x.chunk[len(x.chunk)-n : len(x.chunk) : len(x.chunk)]
}

// expand returns (and stores) the base tokens of id in table t.
func (x *expander) expand(t int, id int32) ([]Token, error) {
	m := x.ts[t]
	if id < 0 || int(id) >= len(m.exp) {
		return nil, fmt.Errorf("merge table %d: no id %d", t, id)
	}
	if m.exp[id] != nil {
		return m.exp[id], nil
	}
	i := int(id) - m.First
	if x.busy[t][i] {
		return nil, fmt.Errorf("merge table %d: merge %d refers to itself", t, i)
	}
	x.busy[t][i] = true
	p, rt := m.Pairs[i], t
	if m.Right != nil {
		if rt = int(m.Right[i]); rt >= len(x.ts) {
			return nil, fmt.Errorf("merge table %d: merge %d refers to table %d", t, i, rt)
		}
	}
	a, err := x.expand(t, p[0])
	if err != nil {
		return nil, err
	}
	b, err := x.expand(rt, p[1])
	if err != nil {
		return nil, err
	}
	e := x.carve(len(a) + len(b))
	copy(e[copy(e, a):], b)
	m.exp[id] = e
	return m.exp[id], nil
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
	t := newBPETrainer(base, classes, opt)
	if err := t.countWords(segs); err != nil {
		return nil, nil, err
	}
	t.learn()
	for c := range t.right {
		if stayInClass(t.right[c], c) {
			t.right[c] = nil
		}
	}
	return t.pairs, t.right, nil
}

// bpeTrainer is the state of TrainClasses' loop.
type bpeTrainer struct {
	base int
	opt  TrainOptions
	// Symbols: class·base + token for base tokens, then merged symbols in
	// learning order, each with its class, its id in its table and its
	// expansion (a merge that spells an id its table already has reuses it).
	symClass []uint8
	symID    []int32
	symExp   [][]Token
	words    [][]int32 // each segment as symbols, in key order
	freq     []int64
	counts   map[uint64]int64   // pair → count
	where    map[uint64][]int32 // pair → words it may occur in
	h        pairHeap
	stamp    []int32 // the last step that rewrote each word
	step     int32
	pairs    [][][2]int32
	right    [][]uint8
	spelled  []map[string]int32 // expansion → symbol, per class
}

func newBPETrainer(base, classes int, opt TrainOptions) *bpeTrainer {
	t := &bpeTrainer{
		base: base, opt: opt,
		counts:  map[uint64]int64{},
		where:   map[uint64][]int32{},
		pairs:   make([][][2]int32, classes),
		right:   make([][]uint8, classes),
		spelled: make([]map[string]int32, classes),
	}
	for c := range classes {
		for b := range base {
			t.symClass = append(t.symClass, uint8(c))
			t.symID = append(t.symID, int32(b))
			t.symExp = append(t.symExp, []Token{Token(b)})
		}
	}
	for c := range t.spelled {
		t.spelled[c] = map[string]int32{}
	}
	return t
}

// countWords reads the segments in a fixed order (results never depend on
// map order), counts their pairs and fills the heap.
func (t *bpeTrainer) countWords(segs Segments) error {
	keys := make([]string, 0, len(segs))
	for k := range segs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.words = make([][]int32, len(keys))
	t.freq = make([]int64, len(keys))
	for wi, k := range keys {
		w := make([]int32, len(k)/2)
		for i := range w {
			w[i] = int32(k[2*i])<<8 | int32(k[2*i+1])
			if int(w[i]) >= len(t.symClass) {
				return fmt.Errorf("segment token %d is not a symbol of %d classes", w[i], len(t.pairs))
			}
		}
		t.words[wi], t.freq[wi] = w, segs[k]
		for i := 0; i+1 < len(w); i++ {
			p := symPair(w[i], w[i+1])
			t.counts[p] += t.freq[wi]
			t.where[p] = append(t.where[p], int32(wi))
		}
	}
	t.h = make(pairHeap, 0, len(t.counts))
	for p, c := range t.counts {
		t.h = append(t.h, pairEntry{c, p})
	}
	heap.Init(&t.h)
	t.stamp = make([]int32, len(t.words))
	for i := range t.stamp {
		t.stamp[i] = -1
	}
	return nil
}

// learn merges the most frequent pair until none is frequent enough.
func (t *bpeTrainer) learn() {
	for t.h.Len() > 0 {
		top := heap.Pop(&t.h).(pairEntry)
		if cur := t.counts[top.pair]; cur != top.count {
			if cur > 0 {
				heap.Push(&t.h, pairEntry{cur, top.pair})
			}
			continue
		}
		if top.count < t.opt.MinFreq {
			break
		}
		id, ok := t.symbol(top.pair)
		if !ok {
			delete(t.counts, top.pair) // the class's table is full
			continue
		}
		t.apply(top.pair, id)
	}
}

// symbol returns the symbol a pair merges into, adding a merge to its
// class's table unless the table spells it already (false: the table is full).
func (t *bpeTrainer) symbol(pair uint64) (int32, bool) {
	a, b := int32(pair>>32), int32(uint32(pair))
	c := t.symClass[a]
	exp := append(append([]Token{}, t.symExp[a]...), t.symExp[b]...)
	ek := tokenKey(exp)
	if id, ok := t.spelled[c][ek]; ok {
		return id, true
	}
	first := t.opt.firstID(t.base, int(c))
	if len(t.pairs[c]) >= t.opt.Merges+t.base-first {
		return 0, false
	}
	t.pairs[c] = append(t.pairs[c], [2]int32{t.symID[a], t.symID[b]})
	t.right[c] = append(t.right[c], t.symClass[b])
	id := int32(len(t.symClass))
	t.symClass = append(t.symClass, c)
	t.symID = append(t.symID, int32(first+len(t.pairs[c])-1))
	t.symExp = append(t.symExp, exp)
	t.spelled[c][ek] = id
	return id, true
}

// apply rewrites every word holding the pair with symbol id, updates the
// pair counts and pushes the changed ones.
func (t *bpeTrainer) apply(pair uint64, id int32) {
	t.step++
	changed := map[uint64]bool{}
	for _, wi := range t.where[pair] {
		if t.stamp[wi] == t.step {
			continue // listed twice
		}
		t.stamp[wi] = t.step
		t.rewrite(wi, pair, id, changed)
	}
	delete(t.where, pair)
	delete(t.counts, pair)
	ps := make([]uint64, 0, len(changed))
	for p := range changed {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	for _, p := range ps {
		if c := t.counts[p]; c > 0 {
			heap.Push(&t.h, pairEntry{c, p})
		}
	}
}

// rewrite merges the pair in word wi, uncounting the pairs it breaks and
// counting the pairs around the new symbol.
func (t *bpeTrainer) rewrite(wi int32, pair uint64, id int32, changed map[uint64]bool) {
	a, b := int32(pair>>32), int32(uint32(pair))
	w, f := t.words[wi], t.freq[wi]
	out := w[:0:0]
	prevMerged := false // the pair on the left was already uncounted by the previous merge
	for i := 0; i < len(w); i++ {
		if i+1 < len(w) && w[i] == a && w[i+1] == b {
			if i > 0 && !prevMerged {
				dec(t.counts, symPair(w[i-1], a), f, changed)
			}
			if i+2 < len(w) {
				dec(t.counts, symPair(b, w[i+2]), f, changed)
			}
			dec(t.counts, pair, f, changed)
			out = append(out, id)
			i++
			prevMerged = true
		} else {
			out = append(out, w[i])
			prevMerged = false
		}
	}
	for i := range out {
		if out[i] != id {
			continue
		}
		if i > 0 {
			t.count(symPair(out[i-1], id), wi, f, changed)
		}
		if i+1 < len(out) && out[i+1] != id {
			t.count(symPair(id, out[i+1]), wi, f, changed)
		}
	}
	t.words[wi] = out
}

// count adds f occurrences of pair p in word wi.
func (t *bpeTrainer) count(p uint64, wi int32, f int64, changed map[uint64]bool) {
	t.counts[p] += f
	changed[p] = true
	t.where[p] = append(t.where[p], wi)
}

// stayInClass reports whether every merge's right part is in class c.
func stayInClass(right []uint8, c int) bool {
	for _, r := range right {
		if int(r) != c {
			return false
		}
	}
	return true
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
