package tokenizer

import (
	"fmt"
	"regexp/syntax"
	"unicode/utf8"
)

// keyMatcher runs a patternProperties regular expression as an NFA over a
// key's bytes, so that strict decoding can tell, byte by byte, whether a key
// can still become a match (for generation) and whether it is one now.
type keyMatcher struct {
	prog *syntax.Prog
	// live[pc]: Match can still be reached from pc once past the start of
	// the key (where `^` no longer holds). States that are not live are
	// dropped, so "alive" means a match is still possible.
	live []bool
}

func newKeyMatcher(re string) (*keyMatcher, error) {
	// Search semantics (like regexp.MatchString) as a full match: pad both
	// sides. Anchors inside stay position tests, so `^a|b` and `a\$` work.
	re = `(?s:.*)(?:` + re + `)(?s:.*)`
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(r.Simplify())
	if err != nil {
		return nil, err
	}
	k := &keyMatcher{prog: prog, live: make([]bool, len(prog.Inst))}
	for changed := true; changed; {
		changed = false
		for pc := range prog.Inst {
			if k.live[pc] {
				continue
			}
			in := &prog.Inst[pc]
			var l bool
			switch in.Op {
			case syntax.InstMatch:
				l = true
			case syntax.InstAlt, syntax.InstAltMatch:
				l = k.live[in.Out] || k.live[in.Arg]
			case syntax.InstEmptyWidth:
				l = syntax.EmptyOp(in.Arg)&(syntax.EmptyBeginText|syntax.EmptyBeginLine) == 0 && k.live[in.Out]
			case syntax.InstFail:
			default: // rune ops, Capture, Nop
				l = k.live[in.Out]
			}
			if l {
				k.live[pc], changed = true, true
			}
		}
	}
	return k, nil
}

// run returns whether some key starting with s can match (alive), and
// whether s itself matches. A partial UTF-8 character at the end is judged
// by the range of characters it can still become.
func (k *keyMatcher) run(s []byte) (alive, match bool) {
	cur, rest := k.advance(s)
	if len(rest) > 0 {
		lo, hi := runeRange(rest)
		for _, pc := range cur {
			if k.matchesRange(&k.prog.Inst[pc], lo, hi) {
				return true, false
			}
		}
		return false, false
	}
	if len(cur) == 0 {
		return false, false
	}
	// The match test again, with end anchors holding at the end.
	fin := k.closure(nil, uint32(k.prog.Start), true, len(s) == 0)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		i += size
		fin = k.step(fin, r, i == len(s))
	}
	for _, pc := range fin {
		if k.prog.Inst[pc].Op == syntax.InstMatch {
			return true, true
		}
	}
	return true, false
}

// advance returns the NFA states after the complete characters of s, and
// the bytes of a partial character at its end (nil states: no match
// possible). End anchors do not hold here: the key goes on.
func (k *keyMatcher) advance(s []byte) (cur []uint32, rest []byte) {
	cur = k.closure(nil, uint32(k.prog.Start), true, false)
	i := 0
	for i < len(s) && utf8.FullRune(s[i:]) {
		r, size := utf8.DecodeRune(s[i:])
		i += size
		cur = k.step(cur, r, false)
		if len(cur) == 0 {
			return nil, nil
		}
	}
	return cur, s[i:]
}

func (k *keyMatcher) step(cur []uint32, r rune, atEnd bool) []uint32 {
	var next []uint32
	for _, pc := range cur {
		in := &k.prog.Inst[pc]
		switch in.Op {
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			if in.MatchRune(r) {
				next = k.closure(next, in.Out, false, atEnd)
			}
		}
	}
	return next
}

// viableAfter reports whether the key can still match after one more byte,
// given the states and partial character from advance.
func (k *keyMatcher) viableAfter(cur []uint32, rest []byte, b byte) bool {
	if cur == nil {
		return false
	}
	p := append(append(make([]byte, 0, 4), rest...), b)
	if !utf8.FullRune(p) {
		lo, hi := runeRange(p)
		for _, pc := range cur {
			if k.matchesRange(&k.prog.Inst[pc], lo, hi) {
				return true
			}
		}
		return false
	}
	r, _ := utf8.DecodeRune(p)
	return len(k.step(cur, r, false)) > 0
}

// runeRange gives the smallest and largest character a partial UTF-8
// sequence can complete to.
func runeRange(p []byte) (rune, rune) {
	n := 2
	switch {
	case p[0] >= 0xF0:
		n = 4
	case p[0] >= 0xE0:
		n = 3
	}
	lo := append(append([]byte{}, p...), make([]byte, n-len(p))...)
	hi := append([]byte{}, lo...)
	for i := len(p); i < n; i++ {
		lo[i], hi[i] = 0x80, 0xBF
	}
	rl, _ := utf8.DecodeRune(lo)
	rh, _ := utf8.DecodeRune(hi)
	return rl, rh
}

// matchesRange reports whether a rune-consuming instruction accepts some
// character in [lo, hi].
func (k *keyMatcher) matchesRange(in *syntax.Inst, lo, hi rune) bool {
	switch in.Op {
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return lo != '\n' || hi != '\n'
	case syntax.InstRune1:
		return in.Rune[0] >= lo && in.Rune[0] <= hi
	case syntax.InstRune:
		if syntax.Flags(in.Arg)&syntax.FoldCase != 0 {
			for r := lo; r <= hi && r < lo+4096; r++ { // case folding: test the characters
				if in.MatchRune(r) {
					return true
				}
			}
			return false
		}
		for j := 0; j+1 < len(in.Rune); j += 2 {
			if in.Rune[j] <= hi && in.Rune[j+1] >= lo {
				return true
			}
		}
	}
	return false
}

// closure adds the states reachable from pc without input: the ones that
// consume a character, and Match.
func (k *keyMatcher) closure(set []uint32, pc uint32, atStart, atEnd bool) []uint32 {
	return k.closureSeen(set, pc, atStart, atEnd, make([]bool, len(k.prog.Inst)))
}

func (k *keyMatcher) closureSeen(set []uint32, pc uint32, atStart, atEnd bool, seen []bool) []uint32 {
	if seen[pc] {
		return set
	}
	seen[pc] = true
	in := &k.prog.Inst[pc]
	switch in.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		set = k.closureSeen(set, in.Out, atStart, atEnd, seen)
		return k.closureSeen(set, in.Arg, atStart, atEnd, seen)
	case syntax.InstCapture, syntax.InstNop:
		return k.closureSeen(set, in.Out, atStart, atEnd, seen)
	case syntax.InstEmptyWidth:
		op := syntax.EmptyOp(in.Arg)
		if op&(syntax.EmptyBeginText|syntax.EmptyBeginLine) != 0 && !atStart ||
			op&(syntax.EmptyEndText|syntax.EmptyEndLine) != 0 && !atEnd {
			return set // the anchor does not hold here
		}
		return k.closureSeen(set, in.Out, atStart, atEnd, seen)
	case syntax.InstFail:
		return set
	}
	if !k.live[pc] {
		return set // no match is reachable from here
	}
	for _, s := range set {
		if s == pc {
			return set
		}
	}
	return append(set, pc)
}

// String values under a pattern are matched incrementally: a state is the
// instructions the characters so far lead to (before their closure), and
// whether no character has been read yet (where `^` holds).

// states is the closure of the targets outs: the live rune-consuming
// instructions and Match.
func (k *keyMatcher) states(outs []uint32, atStart, atEnd bool) []uint32 {
	seen := make([]bool, len(k.prog.Inst))
	var set []uint32
	for _, pc := range outs {
		set = k.closureSeen(set, pc, atStart, atEnd, seen)
	}
	return set
}

// begin is the state before the first character.
func (k *keyMatcher) begin() []uint32 { return []uint32{uint32(k.prog.Start)} }

// feed returns the targets after character r from the states cur (nil: no
// match is possible any more).
func (k *keyMatcher) feed(cur []uint32, r rune) []uint32 {
	var outs []uint32
	for _, pc := range cur {
		in := &k.prog.Inst[pc]
		switch in.Op {
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			if in.MatchRune(r) {
				outs = append(outs, in.Out)
			}
		}
	}
	if len(k.states(outs, false, false)) == 0 {
		return nil
	}
	return outs
}

// accepts reports whether the text that led to outs matches as a whole.
func (k *keyMatcher) accepts(outs []uint32, atStart bool) bool {
	for _, pc := range k.states(outs, atStart, true) {
		if k.prog.Inst[pc].Op == syntax.InstMatch {
			return true
		}
	}
	return false
}

// shortestTail returns the shortest printable-ASCII text that completes the
// text that led to outs to a match (breadth first, up to maxLen bytes).
func (k *keyMatcher) shortestTail(outs []uint32, atStart bool, maxLen int) ([]byte, bool) {
	type node struct {
		outs  []uint32
		start bool
		tail  []byte
	}
	queue := []node{{outs, atStart, nil}}
	seen := map[string]bool{}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if k.accepts(n.outs, n.start) {
			return n.tail, true
		}
		if len(n.tail) >= maxLen {
			continue
		}
		cur := k.states(n.outs, n.start, false)
		for b := byte(0x20); b < 0x7f; b++ {
			next := k.feed(cur, rune(b))
			if next == nil {
				continue
			}
			key := fmt.Sprint(next)
			if seen[key] {
				continue
			}
			seen[key] = true
			queue = append(queue, node{next, false, append(append([]byte{}, n.tail...), b)})
		}
	}
	return nil, false
}
