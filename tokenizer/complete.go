package tokenizer

import (
	"errors"
	"fmt"
)

// maxCompletion bounds a forced close (base tokens).
const maxCompletion = 4096

// Completion returns ids that close the document from m's state with a short
// continuation the strict grammar accepts: open strings, numbers and
// containers are ended, required keys are given the shortest values on
// offer. m is not changed; the ids are single base tokens, read in the tables
// of the states they are fed in.
func (t *Tokenizer) Completion(m *Machine) ([]int32, error) {
	if t.Text != nil {
		return nil, errors.New("a plain BPE tokenizer has no grammar to close a document with")
	}
	c := m.Clone()
	c.strict, c.rix = true, nil
	var ids []int32
	for !c.Done() {
		if len(ids) >= maxCompletion {
			return nil, fmt.Errorf("no close found within %d tokens", maxCompletion)
		}
		b, ok := c.closingToken()
		if !ok {
			return nil, fmt.Errorf("nothing is allowed after %d ids", c.Consumed())
		}
		id := int32(b)
		if exp := t.Expansion(c, id); len(exp) != 1 || exp[0] != b {
			return nil, fmt.Errorf("base token %d is not an id of its own in this state", b)
		}
		if err := t.Advance(c, id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// closingToken picks the next base token of a short close: the end of the
// open container, string or number where it is allowed, else a required key,
// else the smallest value on offer. Which end closes depends on the frame:
// inside an array END_OBJ would start an empty object element, inside an
// object END an empty key.
func (m *Machine) closingToken() (Token, bool) {
	allowed := m.Allowed()
	f := m.top()
	var ends []Token
	switch f.kind {
	case fArray:
		ends = []Token{TokEndArr}
	case fObject:
		ends = []Token{TokEndObj}
	case fValue:
		ends = []Token{TokEnd, TokEndObj, TokEndArr, TokNull, TokFalse, TokTrue}
	default: // the bytes of a string, key or number
		ends = []Token{TokEnd}
	}
	for _, t := range ends {
		if allowed.Has(t) {
			return t, true
		}
	}
	if f.kind == fString && m.patterned(f.node) && f.u8need == 0 {
		if tail, ok := f.node.strMatch.shortestTail(f.nfa, f.count == 0, 64); ok && len(tail) > 0 {
			return Token(tail[0]), true
		}
	}
	if f.kind == fObject {
		for _, r := range f.node.required {
			if k := KeyBase + Token(r); allowed.Has(k) {
				return k, true
			}
		}
	}
	return smallest(allowed)
}

// smallest picks a value start, a dictionary value or a known key before a
// byte, and a printable byte before others.
func smallest(allowed Mask) (Token, bool) {
	toks := allowed.Tokens()
	if len(toks) == 0 {
		return 0, false
	}
	for _, t := range []Token{TokNull, TokFalse, TokTrue, TokArr, TokObj} {
		if allowed.Has(t) {
			return t, true
		}
	}
	for _, t := range toks {
		if t >= KeyBase {
			return t, true
		}
	}
	for _, t := range toks {
		if t >= '0' && t < 0x7f {
			return t, true
		}
	}
	return toks[0], true
}
