package tokenizer

import (
	"errors"
	"fmt"

	"github.com/tct-dev/tct/internal/canon"
)

type frameKind uint8

const (
	fValue  frameKind = iota // the first token of a value under node
	fObject                  // inside an object: a key or its end
	fKey                     // the bytes of a key that is not a known property
	fArray                   // inside an array: an element or its end
	fString                  // the bytes of a string
	fNumber                  // the bytes of a number
)

type frame struct {
	kind     frameKind
	node     *Node
	count    int      // keys or elements so far
	used     []uint64 // object: known keys seen
	alts     uint64   // object, strict: the alternatives still possible
	unknown  map[string]bool
	key      []byte // fKey: the key so far
	u8need   uint8  // fString, fKey: UTF-8 continuation bytes still due
	u8lo     byte   // and the range of the next one
	u8hi     byte
	num      uint8    // fNumber: JSON number DFA state
	start    int      // fString: where its text starts in the output (for recall)
	nfa      []uint32 // fString, strict under a pattern: the matcher's targets (see keyMatcher.states)
	line     int      // fString: where its current line starts
	fallback bool     // under Any because of an escape or an off-schema key
}

// Machine is the grammar state machine. It decodes a token sequence into
// canonical JSON, and answers which tokens may come next (Allowed) for
// constrained generation. In strict mode no fallback is allowed, required
// keys must be present, known keys appear once, pattern keys and strings
// under a pattern must match and objects hold minProperties keys, so every
// complete sequence decodes to a document valid under the
// grammar's typing. Lexical validity (UTF-8, JSON numbers) always holds.
type Machine struct {
	g      *Grammar
	strict bool
	stack  []frame
	out    []byte
	n      int   // tokens consumed
	prev   Token // the last token accepted (TokEnd at the start): the lexical state
	// hist lists the strings, lines and keys spelled out so far, for
	// recall (recall.go).
	// Clones share its prefix: it is only ever appended to. rix, when set,
	// indexes it (a decoding machine; others scan it).
	hist []recalled
	rix  *recallIndex
	// stats
	values, fallback int
	// text, for a plain BPE tokenizer, follows the bytes of the document
	// instead of a grammar (g is nil).
	text *textScan
}

// NewMachine starts a machine at the top of a document.
func (g *Grammar) NewMachine(strict bool) *Machine {
	m := &Machine{g: g, strict: strict, prev: TokEnd}
	m.stack = append(m.stack, frame{kind: fValue, node: g.root})
	return m
}

// newDecoder starts a machine that indexes its recall lists (with an index
// from the grammar's pool); release returns the index.
func (g *Grammar) newDecoder() (m *Machine, release func()) {
	m = g.NewMachine(false)
	m.rix = g.getRecall()
	return m, func() { g.putRecall(m.rix); m.rix = nil }
}

// Done reports whether a whole document has been decoded.
func (m *Machine) Done() bool {
	if m.text != nil {
		return m.text.done
	}
	return len(m.stack) == 0
}

// JSON is the document decoded so far (a prefix while not Done).
func (m *Machine) JSON() []byte { return m.out }

// Consumed is the number of tokens accepted.
func (m *Machine) Consumed() int { return m.n }

// Clone copies the machine (for beam search or look-ahead).
func (m *Machine) Clone() *Machine {
	c := *m
	c.stack = make([]frame, len(m.stack))
	for i, f := range m.stack {
		f.used = append([]uint64(nil), f.used...)
		f.key = append([]byte(nil), f.key...)
		if f.unknown != nil {
			u := make(map[string]bool, len(f.unknown))
			for k := range f.unknown {
				u[k] = true
			}
			f.unknown = u
		}
		c.stack[i] = f
	}
	c.out = append([]byte(nil), m.out...)
	if m.text != nil {
		s := *m.text
		c.text = &s
	}
	c.hist = m.hist[:len(m.hist):len(m.hist)] // an append in either copies
	c.rix = nil
	return &c
}

// ErrDone is returned by Advance after the document is complete.
var ErrDone = errors.New("document already complete")

func (m *Machine) fail(t Token, why string) error {
	return fmt.Errorf("token %d (%s) at position %d: %s", t, m.g.tokenName(t, m.top()), m.n, why)
}

func (m *Machine) top() *frame {
	if len(m.stack) == 0 {
		return nil
	}
	return &m.stack[len(m.stack)-1]
}

// Advance consumes one token. After an error the machine must not be used.
func (m *Machine) Advance(t Token) error {
	if len(m.stack) == 0 {
		return ErrDone
	}
	before := len(m.out)
	if err := m.step(t); err != nil {
		m.out = m.out[:before] // no text from a rejected token (DecodePrefix shows the rest)
		return err
	}
	m.n++
	m.prev = t
	return nil
}

func (m *Machine) pop() { m.stack = m.stack[:len(m.stack)-1] }

func (m *Machine) push(f frame) { m.stack = append(m.stack, f) }

func (m *Machine) step(t Token) error {
	f := m.top()
	switch f.kind {
	case fValue:
		return m.stepValue(f, t)
	case fObject:
		return m.stepObject(f, t)
	case fKey:
		return m.stepKey(f, t)
	case fArray:
		n := f.node
		if t == TokEndArr {
			if m.strict && f.count < n.minItems {
				return m.fail(t, fmt.Sprintf("at least %d items required", n.minItems))
			}
			m.out = append(m.out, ']')
			m.pop()
			return nil
		}
		if f.count > 0 {
			m.out = append(m.out, ',')
		}
		f.count++
		m.push(frame{kind: fValue, node: n.items, fallback: f.fallback})
		return m.step(t)
	case fString:
		return m.stepString(f, t)
	case fNumber:
		if t == TokEnd {
			if !numAccepting(f.num) {
				return m.fail(t, "incomplete number")
			}
			m.pop()
			return nil
		}
		if t > 255 {
			return m.fail(t, "a number byte or its end expected")
		}
		next := numNext(f.num, byte(t), f.node.Free&tNumber == 0)
		if next == numBad {
			return m.fail(t, "not a JSON number")
		}
		f.num = next
		m.out = append(m.out, byte(t))
		return nil
	}
	return m.fail(t, "bad state")
}

// stepString takes a byte, a recalled line or the end of a string.
func (m *Machine) stepString(f *frame, t Token) error {
	if t == TokEnd {
		if f.u8need > 0 {
			return m.fail(t, "string ends inside a UTF-8 sequence")
		}
		if m.patterned(f.node) && !f.node.strMatch.accepts(f.nfa, f.count == 0) {
			return m.fail(t, "the string does not match "+f.node.strPattern)
		}
		m.out = append(m.out, '"')
		if m.g.recallable(f.node) {
			m.remember(f.node, m.out[f.start:], recallValue)
		}
		m.pop()
		return nil
	}
	if t > 255 {
		if t >= KeyBase && m.atLineStart(f) {
			text, ok := m.recallText(f.node, int(t-KeyBase), recallLine)
			if !ok {
				return m.fail(t, "no line to recall in that slot")
			}
			if m.patterned(f.node) && !m.feedLine(f, text) {
				return m.fail(t, "the line recalled does not fit "+f.node.strPattern)
			}
			m.out = append(m.out, text...)
			f.line = len(m.out)
			return nil
		}
		return m.fail(t, "a string byte or its end expected")
	}
	if !utf8Step(f, byte(t)) {
		return m.fail(t, "invalid UTF-8")
	}
	if m.patterned(f.node) && !m.stringByte(f, byte(t)) {
		return m.fail(t, "the string can no longer match "+f.node.strPattern)
	}
	m.out = appendEscapedByte(m.out, byte(t))
	if t == '\n' && m.g.lineRecall(f.node) {
		m.remember(f.node, m.out[f.line:], recallLine)
		f.line = len(m.out)
	}
	return nil
}

func (m *Machine) stepValue(f *frame, t Token) error {
	n := f.node
	if t == TokEsc {
		if m.strict || n.Any {
			return m.fail(t, "no fallback here")
		}
		f.node, f.fallback = m.g.any, true
		return nil
	}
	m.values++ // a value starts here
	if f.fallback || n.Any {
		m.fallback++
	}
	switch {
	case t >= m.g.EnumBase && int(t-m.g.EnumBase) < len(n.Enum):
		m.out = append(m.out, n.Enum[t-m.g.EnumBase]...)
		m.pop()
		return nil
	case m.g.recallIndexOf(t) >= 0 && m.g.recallable(n):
		text, ok := m.recallText(n, m.g.recallIndexOf(t), recallValue)
		if !ok {
			return m.fail(t, "no string to recall in that slot")
		}
		if m.patterned(n) && !m.recallFits(n, text) {
			return m.fail(t, "the string recalled does not match "+n.strPattern)
		}
		m.out = append(m.out, text...)
		m.pop()
		return nil
	case t == TokTrue || t == TokFalse || t == TokNull:
		return m.literal(n, t)
	case t == TokArr:
		if n.Free&tArray == 0 {
			return m.fail(t, "no array here")
		}
		m.out = append(m.out, '[')
		f.kind, f.count = fArray, 0
		return nil
	case t == TokNum:
		if n.Free&(tNumber|tInteger) == 0 || n.numberImplicit() {
			return m.fail(t, "no number head here")
		}
		f.kind, f.num = fNumber, 0
		return nil
	case t == TokObj:
		if n.Free&tObject == 0 || n.objectImplicit() {
			return m.fail(t, "no object head here")
		}
		m.startObject(f)
		return nil
	case t <= TokEnd:
		return m.startBytes(f, t)
	case t == TokEndObj || t >= KeyBase && t < m.g.EnumBase || m.g.recallIndexOf(t) >= 0 && m.g.keyRecallable(n):
		if n.Free&tObject == 0 || !n.objectImplicit() {
			return m.fail(t, "no object here")
		}
		m.startObject(f)
		return m.step(t)
	}
	return m.fail(t, "not allowed at the start of a value")
}

// literal emits true, false or null where node n allows it.
func (m *Machine) literal(n *Node, t Token) error {
	switch {
	case t == TokNull && n.Free&tNull == 0:
		return m.fail(t, "no null here")
	case t != TokNull && n.Free&tBoolean == 0:
		return m.fail(t, "no boolean here")
	}
	switch t {
	case TokTrue:
		m.out = append(m.out, "true"...)
	case TokFalse:
		m.out = append(m.out, "false"...)
	default:
		m.out = append(m.out, "null"...)
	}
	m.pop()
	return nil
}

// startBytes starts the value that a byte or END begins without a head: a
// string, or an implicit number or object.
func (m *Machine) startBytes(f *frame, t Token) error {
	n := f.node
	switch {
	case n.Free&tString != 0:
		f.kind, f.u8need, f.start, f.line = fString, 0, len(m.out), len(m.out)+1
		if m.patterned(n) {
			f.nfa, f.count, f.key = n.strMatch.begin(), 0, nil
		}
		m.out = append(m.out, '"')
	case n.Free&(tNumber|tInteger) != 0 && n.numberImplicit():
		f.kind, f.num = fNumber, 0
	case n.Free&tObject != 0 && n.objectImplicit():
		m.startObject(f)
	default:
		return m.fail(t, "no string, number or object here")
	}
	return m.step(t)
}

func (m *Machine) startObject(f *frame) {
	m.out = append(m.out, '{')
	f.kind, f.count = fObject, 0
	if m.strict && len(f.node.Props) > 0 {
		f.used = make([]uint64, (len(f.node.Props)+63)/64)
	}
	f.alts = f.node.allAlts()
}

func (m *Machine) stepObject(f *frame, t Token) error {
	n := f.node
	switch {
	case t == TokEndObj:
		if m.strict {
			if f.count < n.minProps {
				return m.fail(t, fmt.Sprintf("at least %d keys required", n.minProps))
			}
			for _, r := range n.required {
				if f.used[r/64]&(1<<(r%64)) == 0 {
					return m.fail(t, fmt.Sprintf("required key %q missing", n.Props[r].Name))
				}
			}
			if n.alts > 0 && !n.altSatisfied(f.alts, f.used) {
				return m.fail(t, "the keys so far complete none of the object's alternatives")
			}
		}
		m.out = append(m.out, '}')
		m.pop()
		return nil
	case t >= KeyBase && int(t-KeyBase) < len(n.Props):
		i := int(t - KeyBase)
		if m.strict {
			if f.used[i/64]&(1<<(i%64)) != 0 {
				return m.fail(t, "key repeated")
			}
			if n.alts > 0 {
				if f.alts&n.allowedBy[i] == 0 {
					return m.fail(t, "no alternative of this object allows the key with the keys so far")
				}
				f.alts &= n.allowedBy[i]
			}
			f.used[i/64] |= 1 << (i % 64)
		}
		if f.count > 0 {
			m.out = append(m.out, ',')
		}
		f.count++
		m.out = canon.AppendString(m.out, n.Props[i].Name)
		m.out = append(m.out, ':')
		m.push(frame{kind: fValue, node: n.Props[i].Node, fallback: f.fallback})
		return nil
	case t <= TokEnd:
		if m.strict && (len(n.patterns) == 0 && n.additional == nil || n.alts > 0 && f.alts&n.openAlts == 0) {
			return m.fail(t, "no other keys allowed here")
		}
		m.push(frame{kind: fKey, node: n, fallback: f.fallback})
		return m.step(t)
	case m.g.recallIndexOf(t) >= 0 && m.g.keyRecallable(n):
		key, ok := m.recallText(n, m.g.recallIndexOf(t), recallKey)
		if !ok {
			return m.fail(t, "no key to recall in that slot")
		}
		v, err := m.openKey(f, string(key), f.fallback)
		if err != nil {
			return m.fail(t, err.Error())
		}
		m.push(v)
		return nil
	}
	return m.fail(t, "a key or the end of the object expected")
}

func (m *Machine) stepKey(f *frame, t Token) error {
	if t < TokEnd {
		if !utf8Step(f, byte(t)) {
			return m.fail(t, "invalid UTF-8 in key")
		}
		f.key = append(f.key, byte(t))
		if m.strict && !m.keyViable(f.node, f.key) {
			return m.fail(t, "no allowed key starts like this")
		}
		return nil
	}
	if t != TokEnd {
		return m.fail(t, "a key byte or its end expected")
	}
	if f.u8need > 0 {
		return m.fail(t, "key ends inside a UTF-8 sequence")
	}
	n, key := f.node, f.key
	v, err := m.openKey(&m.stack[len(m.stack)-2], string(key), f.fallback)
	if err != nil {
		return m.fail(t, err.Error())
	}
	if m.g.keyRecallable(n) {
		m.remember(n, key, recallKey) // the frame's key buffer is not reused
	}
	*f = v
	return nil
}

// openKey writes a key that is not a known property into the object obj
// and returns the frame of its value.
func (m *Machine) openKey(obj *frame, key string, fallback bool) (frame, error) {
	n := obj.node
	vnode, ok := n.valueNodeForKey(key)
	if m.strict {
		if !m.keyAcceptable(obj, key) {
			return frame{}, fmt.Errorf("key %q not allowed here", key)
		}
		if obj.unknown == nil {
			obj.unknown = map[string]bool{}
		}
		obj.unknown[key] = true
		if n.alts > 0 {
			obj.alts &= n.openAlts
		}
	}
	if !ok {
		vnode, fallback = m.g.any, true // an off-schema key: its value is a fallback
	}
	if obj.count > 0 {
		m.out = append(m.out, ',')
	}
	obj.count++
	m.out = canon.AppendString(m.out, key)
	m.out = append(m.out, ':')
	return frame{kind: fValue, node: vnode, fallback: fallback}, nil
}

// keyAcceptable: in strict mode, may this unknown key close here?
func (m *Machine) keyAcceptable(obj *frame, key string) bool {
	n := obj.node
	if _, known := n.propIndex[key]; known || obj.unknown[key] || n.alts > 0 && obj.alts&n.openAlts == 0 {
		return false
	}
	if n.additional != nil {
		return true
	}
	for i := range n.patterns {
		if _, match := m.g.matcher(n, i).run([]byte(key)); match {
			return true
		}
	}
	return false
}

// keyViable: in strict mode, can a key starting with prefix still be allowed?
func (m *Machine) keyViable(n *Node, prefix []byte) bool {
	if n.additional != nil {
		return true
	}
	for i := range n.patterns {
		if alive, _ := m.g.matcher(n, i).run(prefix); alive {
			return true
		}
	}
	return false
}

// Stats reports how many values were decoded and how many under fallback.
func (m *Machine) Stats() (values, fallback int) { return m.values, m.fallback }

// appendEscapedByte writes one string byte with minimal JSON escaping.
func appendEscapedByte(dst []byte, b byte) []byte {
	if b >= 0x20 && b != '"' && b != '\\' {
		return append(dst, b)
	}
	var tmp [1]byte
	tmp[0] = b
	s := canon.AppendString(nil, string(tmp[:]))
	return append(dst, s[1:len(s)-1]...)
}

// utf8Step advances the UTF-8 validator of a string or key frame.
func utf8Step(f *frame, b byte) bool {
	if f.u8need > 0 {
		if b < f.u8lo || b > f.u8hi {
			return false
		}
		f.u8need--
		f.u8lo, f.u8hi = 0x80, 0xBF
		return true
	}
	switch {
	case b < 0x80:
	case b >= 0xC2 && b <= 0xDF:
		f.u8need, f.u8lo, f.u8hi = 1, 0x80, 0xBF
	case b == 0xE0:
		f.u8need, f.u8lo, f.u8hi = 2, 0xA0, 0xBF
	case b >= 0xE1 && b <= 0xEC || b == 0xEE || b == 0xEF:
		f.u8need, f.u8lo, f.u8hi = 2, 0x80, 0xBF
	case b == 0xED:
		f.u8need, f.u8lo, f.u8hi = 2, 0x80, 0x9F
	case b == 0xF0:
		f.u8need, f.u8lo, f.u8hi = 3, 0x90, 0xBF
	case b >= 0xF1 && b <= 0xF3:
		f.u8need, f.u8lo, f.u8hi = 3, 0x80, 0xBF
	case b == 0xF4:
		f.u8need, f.u8lo, f.u8hi = 3, 0x80, 0x8F
	default:
		return false
	}
	return true
}

// JSON number DFA: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
const (
	numStart uint8 = iota
	numMinus
	numZero
	numInt
	numDot
	numFrac
	numExp
	numExpSign
	numExpDigits
	numBad
)

func numAccepting(s uint8) bool {
	return s == numZero || s == numInt || s == numFrac || s == numExpDigits
}

func numNext(s uint8, b byte, intOnly bool) uint8 {
	digit := b >= '0' && b <= '9'
	switch s {
	case numStart, numMinus:
		switch {
		case b == '-' && s == numStart:
			return numMinus
		case b == '0':
			return numZero
		case digit:
			return numInt
		}
	case numZero, numInt:
		switch {
		case digit && s == numInt:
			return numInt
		case b == '.' && !intOnly:
			return numDot
		case (b == 'e' || b == 'E') && !intOnly:
			return numExp
		}
	case numDot, numFrac:
		switch {
		case digit:
			return numFrac
		case (b == 'e' || b == 'E') && s == numFrac:
			return numExp
		}
	case numExp:
		switch {
		case b == '+' || b == '-':
			return numExpSign
		case digit:
			return numExpDigits
		}
	case numExpSign, numExpDigits:
		if digit {
			return numExpDigits
		}
	}
	return numBad
}
