package tokenizer

import (
	"bytes"
	"hash/maphash"
)

// Recall. A workflow repeats itself: the same run script, `if` condition,
// step name or `with` value comes back in several jobs of one document
// (on the shared corpus, 23% of the string values at a grammar node repeat
// one seen earlier at that node in the same document). With recall, every
// string node has R more ENUM slots past its dictionary values: slot k is
// the k-th distinct string spelled out at that node so far in this
// document. The encoder spells a value the first time and recalls it with
// one token after that; the machine keeps the same list as it decodes, so a
// recall slot means what its state says, like every other ENUM slot. The
// recalled text was accepted at that node before, so it is accepted again.
//
// Lines recall the same way inside a string: at the start of a line other
// than the first, KEY slot k (no key can come inside a string) is the k-th
// distinct line spelled at that node so far (a line ends with its line
// break), so the line that installs the toolchain in every job's script is
// one token. Line recall needs the positions after a line break to be in
// the value-start lexical state, whose table keeps the KEY ids as base ids
// (see FirstMerged): true for up to four lexical states.

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

// recallSlot is the token of recall slot k at node n.
func (g *Grammar) recallSlot(n *Node, k int) Token {
	return g.EnumBase + Token(len(n.Enum)+k)
}

// recallable reports whether string values at n take part in recall.
func (g *Grammar) recallable(n *Node) bool {
	return g.recall > 0 && !n.Any && n.Free&tString != 0
}

// recalled is a string value decoded earlier in the document: its node and
// its canonical JSON (quotes included), aliasing the machine's output.
type recalled struct {
	node *Node
	line bool // a line of a string (its escaped text), not a whole value
	text []byte
}

// recallText returns recall slot k of node n (of its lines), or nil.
func (m *Machine) recallText(n *Node, k int, line bool) []byte {
	for _, r := range m.hist {
		if r.node == n && r.line == line {
			if k == 0 {
				return r.text
			}
			k--
		}
	}
	return nil
}

// remember notes a string value (its canonical JSON) or line spelled out at
// node n, unless the node's slots are full or it is there already.
func (m *Machine) remember(n *Node, text []byte, line bool) {
	c := 0
	for _, r := range m.hist {
		if r.node == n && r.line == line {
			if bytes.Equal(r.text, text) {
				return
			}
			c++
		}
	}
	if c < m.g.recall {
		m.hist = append(m.hist, recalled{n, line, text[:len(text):len(text)]})
	}
}

// recallMask adds the recall slots that hold a value at node n.
func (m *Machine) recallMask(b bitset, n *Node) {
	if !m.g.recallable(n) {
		return
	}
	k := 0
	for _, r := range m.hist {
		if r.node == n && !r.line {
			b.set(m.g.recallSlot(n, k))
			k++
		}
	}
}

// atLineStart reports whether string frame f is at the start of a line
// other than its first (where a line may be recalled).
func (m *Machine) atLineStart(f *frame) bool {
	return f.line == len(m.out) && f.line > f.start+1 && m.g.lineRecall(f.node)
}

// lineMask adds the line recall slots that hold a line at node n.
func (m *Machine) lineMask(b bitset, n *Node) {
	k := 0
	for _, r := range m.hist {
		if r.node == n && r.line {
			b.set(lineSlot(k))
			k++
		}
	}
}

// recallIndex is the encoder's side of recall: the distinct string values
// and lines spelled at each node so far, in an open-addressing table whose
// entries point into the document (no allocation per value). It is reused
// across documents.
type recallIndex struct {
	seed    maphash.Seed
	table   []recallEntry // power-of-two size, h == 0: empty
	used    []int32       // filled table entries, to clear
	count   []int32       // per node id and kind: slots taken
	touched []int32       // count entries to clear
}

type recallEntry struct {
	h    uint64
	key  int32 // 2·node id + kind (1: a line)
	slot int32
	text []byte
}

func newRecallIndex(nodes int) *recallIndex {
	return &recallIndex{seed: maphash.MakeSeed(), table: make([]recallEntry, 256), count: make([]int32, 2*nodes)}
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

func recallKey(n *Node, line bool) int32 {
	k := 2 * int32(n.id)
	if line {
		k++
	}
	return k
}

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

// find returns the slot of value (or line) s at node n.
func (r *recallIndex) find(n *Node, s []byte, line bool) (int, bool) {
	i, _ := r.lookup(recallKey(n, line), s)
	e := &r.table[i]
	return int(e.slot), e.h != 0
}

// add notes value (or line) s, spelled out at node n, if it is new and
// the node has a free slot. s must stay unchanged until reset.
func (r *recallIndex) add(n *Node, s []byte, line bool, slots int) {
	key := recallKey(n, line)
	c := r.count[key]
	if int(c) >= slots {
		return
	}
	i, h := r.lookup(key, s)
	if r.table[i].h != 0 {
		return
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
