package tokenizer

import (
	"bytes"
	"hash/maphash"
	"iter"
)

// Recall: a workflow repeats its strings, so every string node has R more
// ENUM slots (the top ids of the alphabet), slot k being the k-th distinct
// string spelled at that node so far in the document; an object that takes
// other keys recalls them the same way, and lines inside a string take the
// KEY slots. The machine keeps the same lists as it decodes.

// MaxRecall bounds the recall slots per node.
const MaxRecall = 256

// Recall is the number of recall slots per string node (0: none).
func (g *Grammar) Recall() int { return g.recall }

// lineRecall reports whether lines of strings at n take part in recall.
func (g *Grammar) lineRecall(n *Node) bool {
	return g.recallable(n) && lexGroups[g.Lex()][3] == lexGroups[g.Lex()][0]
}

// lineSlot is the token of line recall slot k.
func lineSlot(k int) Token { return KeyBase + Token(k) }

// minLine is the shortest line the encoder recalls (with its line break):
// a shorter one costs one or two ids spelled out anyway.
const minLine = 8

// recallSlot is the token of recall slot k (at any node: the top R ids of
// the alphabet, past every node's enum values, so that "the k-th string
// spelled here" is one id, whatever the node).
func (g *Grammar) recallSlot(k int) Token { return Token(g.Size - g.recall + k) }

// recallIndexOf returns the recall slot of token t, or -1.
func (g *Grammar) recallIndexOf(t Token) int {
	if g.recall == 0 || int(t) < g.Size-g.recall || int(t) >= g.Size {
		return -1
	}
	return int(t) - (g.Size - g.recall)
}

// keyRecallable reports whether keys spelled out in objects at n take part
// in recall (in an object the recall ids are free: no value starts there).
func (g *Grammar) keyRecallable(n *Node) bool {
	return g.recall > 0 && !n.Any && (n.additional != nil || len(n.patterns) > 0)
}

// keyRecallMask adds the recall slots of keys that may come next in the
// object obj (strict: those the object still accepts).
func (m *Machine) keyRecallMask(b Mask, obj *frame) {
	if !m.g.keyRecallable(obj.node) {
		return
	}
	for k, key := range m.recallList(obj.node, recallKey) {
		if !m.strict || m.keyAcceptable(obj, string(key)) {
			b.set(m.g.recallSlot(k))
		}
	}
}

// recallable reports whether string values at n take part in recall.
func (g *Grammar) recallable(n *Node) bool {
	return g.recall > 0 && !n.Any && n.Free&tString != 0
}

// recalled is a string value, line or key decoded earlier in the document:
// its node, its kind and its text, aliasing the machine's output (or, for
// a key, the key buffer of its frame).
type recalled struct {
	node *Node
	kind uint8 // recallValue, recallLine or recallKey
	text []byte
}

// What a recall list holds: whole string values (canonical JSON), lines of
// strings (escaped text), or keys of an object spelled out (raw text).
const (
	recallValue uint8 = iota
	recallLine
	recallKey
	recallKinds
)

// recallList yields node n's list of the kind: each slot and its text.
func (m *Machine) recallList(n *Node, kind uint8) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		k := 0
		for _, r := range m.hist {
			if r.node == n && r.kind == kind {
				if !yield(k, r.text) {
					return
				}
				k++
			}
		}
	}
}

// recallText returns slot k of node n's list of the kind (an empty key is
// a slot too).
func (m *Machine) recallText(n *Node, k int, kind uint8) ([]byte, bool) {
	for i, text := range m.recallList(n, kind) {
		if i == k {
			return text, true
		}
	}
	return nil, false
}

// remember notes a string value, line or key spelled out at node n, unless
// the node's slots for the kind are full or it is there already.
func (m *Machine) remember(n *Node, text []byte, kind uint8) {
	if m.rix != nil {
		if m.rix.add(n, text, kind, m.g.recall) {
			m.hist = append(m.hist, recalled{n, kind, text[:len(text):len(text)]})
		}
		return
	}
	c := 0
	for _, old := range m.recallList(n, kind) {
		if bytes.Equal(old, text) {
			return
		}
		c++
	}
	if c < m.g.recall {
		m.hist = append(m.hist, recalled{n, kind, text[:len(text):len(text)]})
	}
}

// recallMask adds the recall slots that may start a value at node n: a
// string recalled, or the first key of an object (no head token there).
func (m *Machine) recallMask(b Mask, n *Node) {
	if n.Free&tObject != 0 && n.objectImplicit() && m.g.keyRecallable(n) {
		m.keyRecallMask(b, &frame{kind: fObject, node: n, alts: n.allAlts()})
	}
	if !m.g.recallable(n) {
		return
	}
	for k, text := range m.recallList(n, recallValue) {
		if !m.patterned(n) || m.recallFits(n, text) {
			b.set(m.g.recallSlot(k))
		}
	}
}

// atLineStart reports whether string frame f is at the start of a line
// other than its first (where a line may be recalled).
func (m *Machine) atLineStart(f *frame) bool {
	return f.line == len(m.out) && f.line > f.start+1 && m.g.lineRecall(f.node)
}

// lineMask adds the line recall slots that hold a line at node n.
func (m *Machine) lineMask(b Mask, f *frame) {
	for k, text := range m.recallList(f.node, recallLine) {
		if !m.patterned(f.node) || m.feedLine(&frame{node: f.node, nfa: f.nfa, count: f.count}, text) {
			b.set(lineSlot(k))
		}
	}
}

// recallIndex indexes the recall lists: the distinct string values, lines
// and keys spelled at each node so far, in an open-addressing table whose
// entries point into the document (no allocation per value). The encoder
// keeps its lists in one, reused across documents; a decoding machine
// indexes its history with one.
type recallIndex struct {
	seed    maphash.Seed
	table   []recallEntry // power-of-two size, h == 0: empty
	used    []int32       // filled table entries, to clear
	count   []int32       // per node id and kind: slots taken
	touched []int32       // count entries to clear
}

type recallEntry struct {
	h    uint64
	key  int32 // recallKinds·node id + kind
	slot int32
	text []byte
}

func newRecallIndex(nodes int) *recallIndex {
	return &recallIndex{seed: maphash.MakeSeed(), table: make([]recallEntry, 256), count: make([]int32, int(recallKinds)*nodes)}
}

func (r *recallIndex) reset() {
	for _, i := range r.used {
		r.table[i] = recallEntry{}
	}
	for _, i := range r.touched {
		r.count[i] = 0
	}
	r.used, r.touched = r.used[:0], r.touched[:0]
}

func listKey(n *Node, kind uint8) int32 { return int32(recallKinds)*int32(n.id) + int32(kind) }

// lookup returns the table index of (key, s): its entry, or the empty one
// where it would go.
func (r *recallIndex) lookup(key int32, s []byte) (int, uint64) {
	h := maphash.Bytes(r.seed, s) ^ uint64(key)*0x9E3779B97F4A7C15 | 1
	mask := len(r.table) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		e := &r.table[i]
		if e.h == 0 || e.h == h && e.key == key && bytes.Equal(e.text, s) {
			return i, h
		}
	}
}

// find returns the slot of s in node n's list of the kind.
func (r *recallIndex) find(n *Node, s []byte, kind uint8) (int, bool) {
	i, _ := r.lookup(listKey(n, kind), s)
	e := &r.table[i]
	return int(e.slot), e.h != 0
}

// add notes s, spelled out at node n, in its list of the kind, if it is new
// and the list has a free slot, and says whether it did. s must stay
// unchanged until reset.
func (r *recallIndex) add(n *Node, s []byte, kind uint8, slots int) bool {
	key := listKey(n, kind)
	c := r.count[key]
	if int(c) >= slots {
		return false
	}
	i, h := r.lookup(key, s)
	if r.table[i].h != 0 {
		return false
	}
	r.table[i] = recallEntry{h: h, key: key, slot: c, text: s}
	r.used = append(r.used, int32(i))
	if c == 0 {
		r.touched = append(r.touched, key)
	}
	r.count[key] = c + 1
	if 2*len(r.used) > len(r.table) {
		r.grow()
	}
	return true
}

// grow doubles the table (kept for later documents).
func (r *recallIndex) grow() {
	old := r.table
	r.table = make([]recallEntry, 2*len(old))
	r.used = r.used[:0]
	mask := len(r.table) - 1
	for _, e := range old {
		if e.h == 0 {
			continue
		}
		i := int(e.h) & mask
		for r.table[i].h != 0 {
			i = (i + 1) & mask
		}
		r.table[i] = e
		r.used = append(r.used, int32(i))
	}
}
