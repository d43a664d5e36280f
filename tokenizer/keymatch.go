package tokenizer

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// keyMatcher runs a patternProperties regular expression as an NFA over a
// key's bytes, so that strict decoding can tell, byte by byte, whether a key
// can still become a match (for generation) and whether it is one now.
type keyMatcher struct {
	prog *syntax.Prog
}

func newKeyMatcher(re string) (*keyMatcher, error) {
	// Full-match semantics with Go's unanchored search: pad what is not anchored.
	if !strings.HasPrefix(re, "^") {
		re = `(?s:.*)(?:` + re + `)`
	}
	if !strings.HasSuffix(re, "$") {
		re = `(?:` + re + `)(?s:.*)`
	}
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(r.Simplify())
	if err != nil {
		return nil, err
	}
	return &keyMatcher{prog: prog}, nil
}

// run returns the NFA states after reading s (nil: no match is possible),
// and whether s itself matches.
func (k *keyMatcher) run(s []byte) (alive, match bool) {
	cur := k.closure(nil, uint32(k.prog.Start), true, len(s) == 0)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size <= 1 && !utf8.FullRune(s[i:]) {
			break // a partial rune at the end: judge what came before it
		}
		i += size
		var next []uint32
		for _, pc := range cur {
			in := &k.prog.Inst[pc]
			switch in.Op {
			case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				if in.MatchRune(r) {
					next = k.closure(next, in.Out, false, i == len(s))
				}
			}
		}
		if cur = next; len(cur) == 0 {
			return false, false
		}
	}
	for _, pc := range cur {
		if k.prog.Inst[pc].Op == syntax.InstMatch {
			return true, true
		}
	}
	return len(cur) > 0, false
}

// closure adds pc and every state reachable from it without input.
func (k *keyMatcher) closure(set []uint32, pc uint32, atStart, atEnd bool) []uint32 {
	for _, s := range set {
		if s == pc {
			return set
		}
	}
	in := &k.prog.Inst[pc]
	switch in.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		set = k.closure(set, in.Out, atStart, atEnd)
		return k.closure(set, in.Arg, atStart, atEnd)
	case syntax.InstCapture, syntax.InstNop:
		return k.closure(set, in.Out, atStart, atEnd)
	case syntax.InstEmptyWidth:
		op := syntax.EmptyOp(in.Arg)
		if op&(syntax.EmptyBeginText|syntax.EmptyBeginLine) != 0 && !atStart ||
			op&(syntax.EmptyEndText|syntax.EmptyEndLine) != 0 && !atEnd {
			// An end anchor not yet satisfied may be later: keep the state
			// only for the end check, which runs with atEnd.
			return set
		}
		return k.closure(set, in.Out, atStart, atEnd)
	case syntax.InstFail:
		return set
	}
	return append(set, pc)
}
