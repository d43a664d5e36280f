package tokenizer

import (
	"encoding/json"
	"unicode/utf8"
)

// In strict mode a free string at a node with a pattern (an expression
// `${{ ... }}`, a job id) must match it: the string frame runs the
// pattern's NFA byte by byte.

// patterned: strict, and strings at n must match a pattern.
func (m *Machine) patterned(n *Node) bool { return m.strict && n.strMatch != nil }

// stringByte feeds one byte of a string under a pattern to its matcher
// (f.key holds a partial UTF-8 character, f.count the characters so far);
// false: no match is possible any more.
func (m *Machine) stringByte(f *frame, b byte) bool {
	k := f.node.strMatch
	cur := k.states(f.nfa, f.count == 0, false)
	if !k.viableAfter(cur, f.key, b) {
		return false
	}
	f.key = append(f.key, b)
	if !utf8.FullRune(f.key) {
		return true
	}
	r, _ := utf8.DecodeRune(f.key)
	f.nfa, f.key = k.feed(cur, r), f.key[:0]
	f.count++
	return true
}

// patternMask adds the bytes that keep string frame f able to match its
// node's pattern, and END where the string matches as it is.
func (m *Machine) patternMask(b Mask, f *frame) {
	k := f.node.strMatch
	cur := k.states(f.nfa, f.count == 0, false)
	for _, t := range m.g.masks.utf8Mask(f).Tokens() {
		if k.viableAfter(cur, f.key, byte(t)) {
			b.set(t)
		}
	}
	if f.u8need == 0 && k.accepts(f.nfa, f.count == 0) {
		b.set(TokEnd)
	}
}

// recallFits: does a recalled string value (canonical JSON) match n's pattern?
func (m *Machine) recallFits(n *Node, text []byte) bool {
	var s string
	if json.Unmarshal(text, &s) != nil {
		return false
	}
	_, match := n.strMatch.run([]byte(s))
	return match
}

// feedLine feeds a recalled line (escaped text) to the matcher of string
// frame f; false, leaving f unusable: the string could no longer match.
func (m *Machine) feedLine(f *frame, text []byte) bool {
	var s string
	if json.Unmarshal(append(append([]byte{'"'}, text...), '"'), &s) != nil {
		return false
	}
	f.key = nil
	for i := 0; i < len(s); i++ {
		if !m.stringByte(f, s[i]) {
			return false
		}
	}
	return true
}
