package tokenizer

import (
	"math/bits"
	"regexp"
)

// Token is a base-token id.
type Token uint16

// The base alphabet. Ids below KeyBase mean the same in every state where
// they are allowed; KEY and ENUM slots are numbered per grammar node.
const (
	// 0..255: a byte of a string, key or number.
	TokEnd    Token = 256 // end of a string, key or number
	TokEndObj Token = 257 // end of an object
	TokEndArr Token = 258 // end of an array
	TokEsc    Token = 259 // fallback: the value here does not fit the schema; a generic JSON value follows
	TokObj    Token = 260 // an object starts (only where a string or number could also start)
	TokArr    Token = 261 // an array starts
	TokNum    Token = 262 // a number starts (only where a string could also start)
	TokTrue   Token = 263
	TokFalse  Token = 264
	TokNull   Token = 265
	// KeyBase is KEY slot 0; then come the ENUM slots (Grammar.EnumBase).
	KeyBase Token = 266
)

// MaxAlphabet bounds the base alphabet (KEY and ENUM slots included), as in
// the original TCT's 1,025 base tokens.
const MaxAlphabet = 1025

// JSON types, as a bit set.
type typeSet uint8

const (
	tObject typeSet = 1 << iota
	tArray
	tString
	tNumber  // any number
	tInteger // integers only (ignored when tNumber is set)
	tBoolean
	tNull
	tAll = tObject | tArray | tString | tNumber | tBoolean | tNull
)

var typeNames = map[string]typeSet{
	"object": tObject, "array": tArray, "string": tString, "number": tNumber,
	"integer": tInteger, "boolean": tBoolean, "null": tNull,
}

// Prop is a known property of an object node.
type Prop struct {
	Name string
	Node *Node
}

type patternProp struct {
	re   *regexp.Regexp
	node *Node
}

// Node is one grammar state's schema: the union of everything the JSON
// Schema allows at a position (anyOf/oneOf alternatives are merged).
type Node struct {
	id int
	// Path names the position where the compiler first reached the node
	// (`$.jobs.<re>.steps[].uses`); dictionaries refer to nodes by it.
	Path string
	// Any marks a position where the schema says nothing: values are
	// encoded generically and counted as fallback.
	Any bool
	// Free is the set of types admitted without restriction.
	Free typeSet
	// Enum holds the canonical JSON of the values that have their own token.
	Enum      []string
	enumIndex map[string]int
	enumMax   int // the longest of Enum
	// Object part.
	Props      []Prop // sorted by name; KEY slot i is Props[i]
	propIndex  map[string]int
	patterns   []patternProp
	additional *Node // value node of other keys; nil: no other keys allowed
	required   []int // indexes into Props
	// Object alternatives (oneOf/anyOf of objects), enforced in strict mode:
	// alts is their number (0: none), allowedBy[i] the alternatives that
	// allow property i, altRequired[a] the properties alternative a
	// requires, openAlts the alternatives that take other keys.
	alts        int
	allowedBy   []uint64
	altRequired [][]int
	openAlts    uint64
	// class selects the merge table of the tokens this node is in charge
	// of (see Classes); 0 is the shared table.
	class uint8
	// Array part.
	items    *Node
	minItems int
	// Strict-mode constraints: the fewest keys of an object, and the
	// pattern every free string must match (nil: none).
	minProps   int
	strPattern string
	strMatch   *keyMatcher

	masks [2]*Mask // first-token sets, non-strict and strict, built lazily
}

// numberImplicit: a number here starts with its first byte (no TokNum head).
func (n *Node) numberImplicit() bool { return n.Free&tString == 0 }

// objectImplicit: an object here starts with its first key (no TokObj head).
func (n *Node) objectImplicit() bool { return n.Free&(tString|tNumber|tInteger) == 0 }

// allowsNumber reports whether the number text is admitted by Free.
func (n *Node) allowsNumber(text []byte) bool {
	if n.Free&tNumber != 0 {
		return true
	}
	if n.Free&tInteger == 0 {
		return false
	}
	for _, c := range text {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// valueNodeForKey returns the node of an unknown key's value, and whether
// the key is allowed by the schema (else the value is off-schema: Any).
func (n *Node) valueNodeForKey(key string) (*Node, bool) {
	for _, p := range n.patterns {
		if p.re.MatchString(key) {
			return p.node, true
		}
	}
	if n.additional != nil {
		return n.additional, true
	}
	return nil, false
}

// Mask is a set of tokens (base tokens, or ids for AllowedIDs), a bit each.
type Mask []uint64

func newMask(n int) Mask { return make(Mask, (n+63)/64) }

func (b Mask) set(t Token)      { b[t>>6] |= 1 << (t & 63) }
func (b Mask) Has(t Token) bool { return int(t>>6) < len(b) && b[t>>6]&(1<<(t&63)) != 0 }
func (b Mask) setRange(lo, hi Token) { // inclusive
	for t := lo; t <= hi; t++ {
		b.set(t)
	}
}
func (b Mask) or(o Mask) {
	for i := range o {
		b[i] |= o[i]
	}
}

// Count is the number of tokens in the set.
func (b Mask) Count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// Tokens lists the set's members in increasing order.
func (b Mask) Tokens() []Token {
	var out []Token
	for i, w := range b {
		for w != 0 {
			j := bits.TrailingZeros64(w)
			out = append(out, Token(i*64+j))
			w &= w - 1
		}
	}
	return out
}

// allAlts is the set of every alternative of n.
func (n *Node) allAlts() uint64 {
	if n.alts == 0 {
		return 0
	}
	return uint64(1)<<n.alts - 1
}

// altSatisfied reports whether some alternative in alts has all its
// required keys among used.
func (n *Node) altSatisfied(alts uint64, used []uint64) bool {
	for a := 0; a < n.alts; a++ {
		if alts&(1<<a) == 0 {
			continue
		}
		ok := true
		for _, r := range n.altRequired[a] {
			if used == nil || used[r/64]&(1<<(r%64)) == 0 {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
