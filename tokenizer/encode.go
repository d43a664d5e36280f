package tokenizer

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/tct-dev/tct/internal/canon"
)

// Stats describe how a document fit the schema.
type Stats struct {
	Values    int `json:"values"`     // values encoded
	Fallback  int `json:"fallback"`   // values encoded generically (escaped, off-schema key, or untyped schema)
	Escapes   int `json:"escapes"`    // values whose type or enum value the schema does not allow
	KnownKeys int `json:"known_keys"` // keys that were one KEY token
	OtherKeys int `json:"other_keys"` // keys spelled out (open maps, pattern keys, off-schema keys)
	OffSchema int `json:"off_schema"` // keys the schema does not allow
	// BaseTokens is the length of the base-token sequence (before merges).
	BaseTokens int `json:"base_tokens"`
	// Recalled counts the strings, lines and keys that were one recall token.
	Recalled int `json:"recalled"`
}

// Add accumulates another document's stats.
func (s *Stats) Add(o Stats) {
	s.Values += o.Values
	s.Fallback += o.Fallback
	s.Escapes += o.Escapes
	s.KnownKeys += o.KnownKeys
	s.OtherKeys += o.OtherKeys
	s.OffSchema += o.OffSchema
	s.BaseTokens += o.BaseTokens
	s.Recalled += o.Recalled
}

// baseEncoder walks one JSON document with the grammar and emits its base
// tokens (merges come later, in Encoder).
type baseEncoder struct {
	g      *Grammar
	src    []byte
	out    []Token
	stats  Stats
	depth  int
	bounds []int32 // segment ends (token positions), when segmenting
	seg    bool
	// cur is the merge class of the tokens being emitted (Node.class of the
	// node in charge); classes records it for every token (when
	// segmenting): a merged id is read with the table of its first token.
	cur     uint8
	classes []uint8
	// obs, when set, sees every free string value and every key that is
	// not a known property (dictionary learning).
	obs func(n *Node, isKey bool, s []byte)
	// rc holds the strings, lines and keys spelled so far, when the grammar
	// recalls them.
	rc *recallIndex
}

// maxDepth bounds recursion on hostile input.
const maxDepth = 512

// ErrSyntax is wrapped by Encode's errors for input that is not JSON.
var ErrSyntax = errors.New("invalid JSON")

// Encode appends the base tokens of one JSON document to dst. Every valid
// JSON document encodes; what the schema does not cover takes the fallback.
// For canonical JSON (compact, minimal escaping) Decode returns the same
// bytes; other JSON decodes to its canonical form.
func (g *Grammar) Encode(dst []Token, doc []byte) ([]Token, Stats, error) {
	rc := g.getRecall()
	defer g.putRecall(rc)
	e := baseEncoder{g: g, src: doc, out: dst, rc: rc}
	return e.run()
}

// newRecall returns an encoder's recall index (nil without recall).
func (g *Grammar) newRecall() *recallIndex {
	if g.recall == 0 {
		return nil
	}
	return newRecallIndex(len(g.nodes))
}

// getRecall and putRecall lend a reset recall index from the grammar's
// pool, so that one-off encodes (a training pass) do not allocate one per
// document.
func (g *Grammar) getRecall() *recallIndex {
	if g.recall == 0 {
		return nil
	}
	if rc, ok := g.recallPool.Get().(*recallIndex); ok {
		return rc // reset by putRecall
	}
	return g.newRecall()
}

func (g *Grammar) putRecall(rc *recallIndex) {
	if rc != nil {
		rc.reset() // drop the references into the document
		g.recallPool.Put(rc)
	}
}

// EncodeSegments is Encode that also returns segment ends: positions in
// the token slice after which a merge may not reach. A segment is one
// scalar value with the structure before it (closing brackets, keys,
// opening heads); a long string is cut into word-like pieces.
func (g *Grammar) EncodeSegments(dst []Token, bounds []int32, doc []byte) ([]Token, []int32, Stats, error) {
	enc, err := g.EncodeClassed(Classed{Tokens: dst, Bounds: bounds}, doc)
	return enc.Tokens, enc.Bounds, enc.Stats, err
}

// Classed is a document's base tokens with their segment ends (see
// EncodeSegments), each token's merge table (class and lexical state, see
// classes.go) and the stats.
type Classed struct {
	Tokens  []Token
	Bounds  []int32
	Classes []uint8
	Stats   Stats
}

// EncodeClassed is EncodeSegments that also returns each token's merge
// table. It reuses buf's slices (from their start).
func (g *Grammar) EncodeClassed(buf Classed, doc []byte) (Classed, error) {
	rc := g.getRecall()
	defer g.putRecall(rc)
	return g.encodeClassed(buf, doc, rc)
}

// encodeClassed is EncodeClassed with a recall index to reuse (reset here).
func (g *Grammar) encodeClassed(buf Classed, doc []byte, rc *recallIndex) (Classed, error) {
	if rc != nil {
		rc.reset()
	}
	e := baseEncoder{g: g, src: doc, out: buf.Tokens[:0], bounds: buf.Bounds[:0], classes: buf.Classes[:0], seg: true, cur: g.root.class, rc: rc}
	toks, st, err := e.run()
	g.lexRefine(toks, e.classes)
	if len(toks) > 0 && (len(e.bounds) == 0 || int(e.bounds[len(e.bounds)-1]) != len(toks)) {
		e.bounds = append(e.bounds, int32(len(toks)))
	}
	return Classed{Tokens: toks, Bounds: e.bounds, Classes: e.classes, Stats: st}, err
}

func (e *baseEncoder) run() ([]Token, Stats, error) {
	doc := e.src
	i, err := e.value(e.g.root, 0, false)
	if err == nil {
		if i = skipWS(doc, i); i != len(doc) {
			err = fmt.Errorf("%w: data after the document at byte %d", ErrSyntax, i)
		}
	}
	return e.out, e.stats, err
}

// cut ends a segment after the tokens emitted so far.
func (e *baseEncoder) cut() {
	if e.seg {
		e.bounds = append(e.bounds, int32(len(e.out)))
	}
}

// setClass switches the merge class of the tokens that follow. The machine
// reads the same class from its state (Machine.class).
func (e *baseEncoder) setClass(c uint8) { e.cur = c }

// tagClasses records the current class for the tokens emitted since the
// last record.
func (e *baseEncoder) tagClasses() {
	n := len(e.classes)
	e.classes = slices.Grow(e.classes, len(e.out)-n)[:len(e.out)]
	for i := n; i < len(e.classes); i++ {
		e.classes[i] = e.cur
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

func (e *baseEncoder) errAt(i int, what string) error {
	return fmt.Errorf("%w at byte %d: %s", ErrSyntax, i, what)
}

func (e *baseEncoder) emit(t Token) {
	e.out = append(e.out, t)
	if e.seg {
		e.classes = append(e.classes, e.cur)
	}
}

func (e *baseEncoder) value(n *Node, i int, fallback bool) (int, error) {
	src := e.src
	i = skipWS(src, i)
	if i >= len(src) {
		return i, e.errAt(i, "a value expected")
	}
	if e.depth++; e.depth > maxDepth {
		return i, e.errAt(i, "nesting too deep")
	}
	defer func() { e.depth-- }()
	e.setClass(n.class)
	if len(n.Enum) > 0 {
		end, done, err := e.enumValue(n, i, fallback)
		if err != nil {
			return i, err
		}
		if done {
			return end, nil
		}
	}
	c := src[i]
	ok, numEnd, err := e.fits(n, i)
	if err != nil {
		return i, err
	}
	if !ok {
		e.emit(TokEsc)
		e.stats.Escapes++
		n, fallback = e.g.any, true
		e.setClass(n.class)
	}
	e.count(n, fallback)
	switch c {
	case '{':
		return e.object(n, i, fallback)
	case '[':
		return e.array(n, i, fallback)
	case '"':
		return e.stringValue(n, i)
	case 't':
		return e.literal(i, "true", TokTrue)
	case 'f':
		return e.literal(i, "false", TokFalse)
	case 'n':
		return e.literal(i, "null", TokNull)
	}
	if !n.numberImplicit() {
		e.emit(TokNum)
	}
	e.bytes(src[i:numEnd])
	e.cut()
	return numEnd, nil
}

// enumValue emits the value at src[i] as one ENUM token when it is one of
// n's enum values (done).
func (e *baseEncoder) enumValue(n *Node, i int, fallback bool) (end int, done bool, err error) {
	end, err = e.extent(i, n.enumMax)
	if err != nil {
		return i, false, err
	}
	if k, ok := n.enumIndex[string(e.src[i:end])]; end > i && ok {
		e.count(n, fallback)
		e.emit(e.g.EnumBase + Token(k))
		e.cut()
		return end, true, nil
	}
	return i, false, nil
}

// fits reports whether n allows the type of the value at src[i] (for a
// number, its end too).
func (e *baseEncoder) fits(n *Node, i int) (ok bool, numEnd int, err error) {
	switch c := e.src[i]; c {
	case '{':
		return n.Free&tObject != 0, 0, nil
	case '[':
		return n.Free&tArray != 0, 0, nil
	case '"':
		return n.Free&tString != 0, 0, nil
	case 't', 'f':
		return n.Free&tBoolean != 0, 0, nil
	case 'n':
		return n.Free&tNull != 0, 0, nil
	default:
		numEnd = scanNumber(e.src, i)
		if numEnd == i {
			return false, 0, e.errAt(i, fmt.Sprintf("unexpected %q", c))
		}
		return n.allowsNumber(e.src[i:numEnd]), numEnd, nil
	}
}

// array encodes the array at src[i] (its items at n.items).
func (e *baseEncoder) array(n *Node, i int, fallback bool) (int, error) {
	src := e.src
	e.emit(TokArr)
	i = skipWS(src, i+1)
	if i < len(src) && src[i] == ']' {
		e.setClass(n.items.class)
		e.emit(TokEndArr)
		return i + 1, nil
	}
	for {
		var err error
		if i, err = e.value(n.items, i, fallback); err != nil {
			return i, err
		}
		i = skipWS(src, i)
		if i >= len(src) {
			return i, e.errAt(i, "unterminated array")
		}
		if src[i] == ']' {
			e.setClass(n.items.class)
			e.emit(TokEndArr)
			return i + 1, nil
		}
		if src[i] != ',' {
			return i, e.errAt(i, "',' or ']' expected")
		}
		i++
	}
}

// stringValue encodes the string at src[i]: one recall token when spelled
// before at n, else spelled out (and noted for recall).
func (e *baseEncoder) stringValue(n *Node, i int) (int, error) {
	s, end, err := e.str(i)
	if err != nil {
		return i, err
	}
	if e.obs != nil && !n.Any {
		e.obs(n, false, s)
	}
	recall := e.rc != nil && e.g.recallable(n)
	if recall {
		if k, ok := e.rc.find(n, s, recallValue); ok {
			e.emit(e.g.recallSlot(k))
			e.cut()
			e.stats.Recalled++
			return end, nil
		}
	}
	if recall && e.g.lineRecall(n) && bytes.IndexByte(s, '\n') >= 0 {
		e.lines(n, s)
	} else {
		e.text(s)
	}
	e.cut()
	if recall {
		e.rc.add(n, s, recallValue, e.g.recall)
	}
	return end, nil
}

func (e *baseEncoder) count(n *Node, fallback bool) {
	e.stats.Values++
	if fallback || n.Any {
		e.stats.Fallback++
	}
}

func (e *baseEncoder) literal(i int, word string, t Token) (int, error) {
	if len(e.src)-i < len(word) || string(e.src[i:i+len(word)]) != word {
		return i, e.errAt(i, "bad literal")
	}
	e.emit(t)
	e.cut()
	return i + len(word), nil
}

// text emits a string value's body and end; a long one is cut into pieces.
func (e *baseEncoder) text(s []byte) {
	if !e.seg || len(s) <= LongString {
		e.bytes(s)
		return
	}
	start := 0
	for start < len(s) {
		end := start + pieceLen(s[start:])
		if start > 0 {
			e.cut()
		}
		for _, b := range s[start:end] {
			e.out = append(e.out, Token(b))
		}
		e.tagClasses()
		start = end
	}
	e.emit(TokEnd)
}

// lines is text for a string whose lines take part in recall: a line
// (other than the first) spelled before at node n is one recall token, a
// segment of its own; every line spelled out is noted.
func (e *baseEncoder) lines(n *Node, s []byte) {
	long := e.seg && len(s) > LongString
	start, piece := 0, 0 // piece: where the bytes since the last cut start
	for start < len(s) {
		end := len(s)
		if i := bytes.IndexByte(s[start:], '\n'); i >= 0 {
			end = start + i + 1
		}
		line := s[start:end]
		if start > 0 && line[len(line)-1] == '\n' && len(line) >= minLine {
			if k, ok := e.rc.find(n, line, recallLine); ok {
				e.textRun(s[piece:start], long, piece > 0)
				e.cutOnce()
				e.emit(lineSlot(k))
				e.stats.Recalled++
				start, piece = end, end
				e.cutOnce()
				continue
			}
		}
		if line[len(line)-1] == '\n' {
			e.rc.add(n, line, recallLine, e.g.recall)
		}
		start = end
	}
	e.textRun(s[piece:], long, piece > 0)
	e.emit(TokEnd)
}

// textRun emits bytes of a string without its end, cut into pieces when
// long (cutFirst: a piece boundary before the first byte too).
func (e *baseEncoder) textRun(s []byte, long, cutFirst bool) {
	if len(s) == 0 {
		return
	}
	if !long {
		for _, b := range s {
			e.out = append(e.out, Token(b))
		}
		if e.seg {
			e.tagClasses()
		}
		return
	}
	start := 0
	for start < len(s) {
		end := start + pieceLen(s[start:])
		if start > 0 || cutFirst {
			e.cutOnce()
		}
		for _, b := range s[start:end] {
			e.out = append(e.out, Token(b))
		}
		e.tagClasses()
		start = end
	}
}

// cutOnce is cut, unless a segment already ends here.
func (e *baseEncoder) cutOnce() {
	if e.seg && (len(e.bounds) == 0 || int(e.bounds[len(e.bounds)-1]) != len(e.out)) {
		e.cut()
	}
}

// LongString is the longest string kept whole as one segment: short values
// (`actions/checkout@v4`, `ubuntu-latest`) may become one token.
const LongString = 40

// maxPiece bounds a piece of a long string (and so the cost of merging it).
const maxPiece = 128

// pieceLen returns the length of the first piece of s: a line with its line
// break, or for a line longer than maxPiece, up to its last space within
// maxPiece.
func pieceLen(s []byte) int {
	if i := bytes.IndexByte(s, '\n'); i >= 0 && i < maxPiece {
		return i + 1
	}
	if len(s) <= maxPiece {
		return len(s)
	}
	if i := bytes.LastIndexByte(s[:maxPiece], ' '); i > 0 {
		return i + 1
	}
	return maxPiece
}

// bytes emits a string or number body and its end.
func (e *baseEncoder) bytes(s []byte) {
	for _, b := range s {
		e.out = append(e.out, Token(b))
	}
	if e.seg {
		e.tagClasses()
	}
	e.emit(TokEnd)
}

func (e *baseEncoder) object(n *Node, i int, fallback bool) (int, error) {
	src := e.src
	if !n.objectImplicit() {
		e.emit(TokObj)
	}
	i = skipWS(src, i+1)
	if i < len(src) && src[i] == '}' {
		e.emit(TokEndObj)
		return i + 1, nil
	}
	for {
		e.setClass(n.class)
		i = skipWS(src, i)
		if i >= len(src) || src[i] != '"' {
			return i, e.errAt(i, "a key expected")
		}
		key, end, err := e.str(i)
		if err != nil {
			return i, err
		}
		i = skipWS(src, end)
		if i >= len(src) || src[i] != ':' {
			return i, e.errAt(i, "':' expected")
		}
		var vnode *Node
		vfallback := fallback
		if k, known := n.propIndex[string(key)]; known {
			e.emit(KeyBase + Token(k))
			e.stats.KnownKeys++
			vnode = n.Props[k].Node
		} else {
			e.stats.OtherKeys++
			if e.rc != nil && e.g.keyRecallable(n) {
				if k, ok := e.rc.find(n, key, recallKey); ok {
					e.emit(e.g.recallSlot(k))
					e.stats.Recalled++
				} else {
					e.bytes(key)
					e.rc.add(n, key, recallKey, e.g.recall)
				}
			} else {
				e.bytes(key)
			}
			var allowed bool
			if vnode, allowed = n.valueNodeForKey(string(key)); !allowed {
				vnode, vfallback = e.g.any, true
				e.stats.OffSchema++
			} else if e.obs != nil && !n.Any {
				e.obs(n, true, key)
			}
		}
		if i, err = e.value(vnode, i+1, vfallback); err != nil {
			return i, err
		}
		i = skipWS(src, i)
		if i >= len(src) {
			return i, e.errAt(i, "unterminated object")
		}
		if src[i] == '}' {
			e.setClass(n.class)
			e.emit(TokEndObj)
			return i + 1, nil
		}
		if src[i] != ',' {
			return i, e.errAt(i, "',' or '}' expected")
		}
		i++
	}
}

// str decodes the JSON string at src[i] (a quote).
func (e *baseEncoder) str(i int) ([]byte, int, error) {
	src := e.src
	j := i + 1
	escaped := false
	for ; j < len(src) && src[j] != '"'; j++ {
		switch c := src[j]; {
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return nil, i, e.errAt(j, "control character in a string")
		}
	}
	if j >= len(src) {
		return nil, i, e.errAt(i, "unterminated string")
	}
	body := src[i+1 : j]
	if escaped {
		var err error
		if body, err = canon.Unquote(body); err != nil {
			return nil, i, e.errAt(i, err.Error())
		}
	}
	if !utf8.Valid(body) {
		return nil, i, e.errAt(i, "invalid UTF-8 in a string")
	}
	return body, j + 1, nil
}

// extent returns the end of the value at src[i] (for enum matching), or i
// for a string, array or object longer than limit bytes: no enum value is
// that long, and a run script need not be scanned twice.
func (e *baseEncoder) extent(i, limit int) (int, error) {
	src := e.src
	if len(src) > i+limit+1 {
		src = src[:i+limit+1]
	}
	switch c := src[i]; c {
	case '"':
		for j := i + 1; j < len(src); j++ {
			switch src[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		if len(src) < len(e.src) {
			return i, nil
		}
		return i, e.errAt(i, "unterminated string")
	case '{', '[':
		depth := 0
		for j := i; j < len(src); j++ {
			switch src[j] {
			case '"':
				for j++; j < len(src) && src[j] != '"'; j++ {
					if src[j] == '\\' {
						j++
					}
				}
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
		if len(src) < len(e.src) {
			return i, nil
		}
		return i, e.errAt(i, "unterminated value")
	case 't', 'f', 'n':
		j := i
		for j < len(src) && src[j] >= 'a' && src[j] <= 'z' {
			j++
		}
		return j, nil
	}
	return scanNumber(src, i), nil
}

// scanNumber returns the end of a JSON number at src[i] (i if none).
func scanNumber(src []byte, i int) int {
	st := numStart
	j := i
	for ; j < len(src); j++ {
		next := numNext(st, src[j], false)
		if next == numBad {
			break
		}
		st = next
	}
	if !numAccepting(st) {
		return i
	}
	return j
}
