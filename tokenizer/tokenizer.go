package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Layout is the model vocabulary: content ids, then the special ids, then
// the position tokens of windows. No range overlaps another.
type Layout struct {
	Content       int `json:"content"`        // content ids are [0, Content)
	PAD           int `json:"pad"`            // padding (masked out of the loss)
	PositionBase  int `json:"position_base"`  // position token p is PositionBase+p
	PositionCount int `json:"position_count"` // positions [0, PositionCount)
	ModelVocab    int `json:"model_vocab"`    // PositionBase+PositionCount rounded up to a multiple of 128
}

// NewLayout lays out content, PAD and positions.
func NewLayout(content, positions int) Layout {
	l := Layout{Content: content, PAD: content, PositionBase: content + 1, PositionCount: positions}
	total := l.PositionBase + positions
	l.ModelVocab = (total + 127) / 128 * 128
	return l
}

// Position returns the token of window start s. Starts past the range share
// the last position token (clamped): a window deep in a long document says
// "far in", which is all a short-context model can use.
func (l Layout) Position(start int) int32 {
	return int32(l.PositionBase + min(max(start, 0), l.PositionCount-1))
}

// Tokenizer is a grammar, merge tables and a layout: the whole encoding.
type Tokenizer struct {
	Grammar *Grammar
	// Tables holds one merge table per merge class: Tables[0] is shared,
	// Tables[i] serves the grammar nodes listed in Classes[i-1] (see
	// classes.go). An id means what the table of the current state says.
	Tables  []*Merges
	Classes [][]string
	Layout  Layout
	// Fingerprint is the sha256 of the tokenizer file.
	Fingerprint string
	Meta        Meta
	Dict        *Dictionary // learned slots, already applied to Grammar
	// Text, for a plain BPE tokenizer (KindBPE), encodes the canonical JSON
	// text; Grammar and Tables are then nil.
	Text *TextBPE

	trieOnce  sync.Once
	tries     []*idTrie
	ascii     []Mask // per table: merged ids spelled in ASCII bytes only
	asciiEnd  []Mask // per table: merged ids spelled ASCII bytes then END
	matchOnce sync.Once
	match     []*matchTrie
	masks     maskCache // AllowedIDs by machine state
}

// matchers returns the vocabulary tries of the merge tables (built on first use).
func (t *Tokenizer) matchers() []*matchTrie {
	t.matchOnce.Do(func() {
		t.match = make([]*matchTrie, len(t.Tables))
		for i, m := range t.Tables {
			t.match[i] = newMatchTrie(m)
		}
	})
	return t.match
}

// New assembles a tokenizer with one merge table; with no merges the
// content vocabulary is the base alphabet.
func New(g *Grammar, pairs [][2]int32, positions int) (*Tokenizer, error) {
	return NewClassed(g, nil, 1, []TableSpec{{Pairs: pairs}}, positions)
}

// NewClassed assembles a tokenizer with a merge table per class and
// lexical state: class 0 is shared, class i serves the nodes of
// classes[i-1], and table c·lex+s serves class c in lexical state s. It
// assigns the classes to g's nodes, so a grammar serves one tokenizer.
func NewClassed(g *Grammar, classes [][]string, lex int, tables []TableSpec, positions int) (*Tokenizer, error) {
	if err := g.SetClasses(classes, lex); err != nil {
		return nil, err
	}
	if len(tables) != g.Tables() {
		return nil, fmt.Errorf("%d merge tables for %d classes × %d lexical states", len(tables), len(classes)+1, lex)
	}
	for i, sp := range tables {
		if sp.First != 0 && sp.First != g.Size && !g.ByteTable(i) {
			return nil, fmt.Errorf("merge table %d starts its merges at %d, but it is not a table of positions after a byte", i, sp.First)
		}
	}
	ms, err := newTables(g.Size, tables)
	if err != nil {
		return nil, err
	}
	t := &Tokenizer{Grammar: g, Classes: classes, Tables: ms}
	content := g.Size
	for _, m := range ms {
		content = max(content, m.Size())
	}
	t.Layout = NewLayout(content, positions)
	return t, nil
}

// MergeCount is the number of merges over all tables.
func (t *Tokenizer) MergeCount() int {
	if t.Text != nil {
		return len(t.Text.Pairs)
	}
	n := 0
	for _, m := range t.Tables {
		n += len(m.Pairs) - m.Hidden
	}
	return n
}

// HiddenCount is the number of hidden merges (expansion steps) over all tables.
func (t *Tokenizer) HiddenCount() int {
	n := 0
	for _, m := range t.Tables {
		n += m.Hidden
	}
	return n
}

// ErrPastEnd: a merged id goes on after the document is complete.
var ErrPastEnd = errors.New("the id runs past the end of the document")

// Advance feeds one content id to a machine: the base tokens the id means
// in the machine's state. A merged id that runs past the end of the
// document is an error.
func (t *Tokenizer) Advance(m *Machine, id int32) error {
	if t.Text != nil {
		return t.advanceText(m, id)
	}
	if m.Done() {
		return ErrDone
	}
	c := m.class()
	exp := t.Tables[c].Expansion(id)
	if exp == nil {
		return fmt.Errorf("id %d is not a content id (merge class %d has %d)", id, c, t.Tables[c].Size())
	}
	for _, b := range exp {
		if m.Done() {
			return fmt.Errorf("id %d: %w", id, ErrPastEnd)
		}
		if err := m.Advance(b); err != nil {
			return err
		}
	}
	return nil
}

// Expansion returns the base tokens id means in the machine's state (nil
// for an id that is not a content id there). The machine is not changed.
func (t *Tokenizer) Expansion(m *Machine, id int32) []Token {
	if t.Text != nil {
		return nil
	}
	return t.Tables[m.class()].Expansion(id)
}

// Encoder encodes documents with a segment cache. It is not safe for
// concurrent use: make one per goroutine.
type Encoder struct {
	t       *Tokenizer
	base    []Token
	bounds  []int32
	classes []uint8
	key     []byte
	// Two generations of segment results: when the new one is full, it
	// becomes the old one, and hits in the old one are promoted. Frequent
	// segments stay; memory stays bounded.
	cache, old      map[string][]int32
	cost, from, via []int32
	rc              *recallIndex // the strings spelled so far in the document
}

// cacheMin: segments of at most this many base tokens are not cached: the
// shortest spelling of a short segment costs less than a cache lookup.
const cacheMin = 64

// maxCache bounds each cache generation (entries).
const maxCache = 1 << 16

// NewEncoder returns an encoder with an empty cache.
func (t *Tokenizer) NewEncoder() *Encoder {
	return &Encoder{t: t, cache: make(map[string][]int32, 1024)}
}

// Encode appends the content ids of one canonical JSON document to dst.
func (e *Encoder) Encode(dst []int32, doc []byte) ([]int32, Stats, error) {
	if e.t.Text != nil {
		if !json.Valid(doc) {
			return dst, Stats{}, errors.New("not a JSON document")
		}
		return e.t.Text.Encode(dst, doc), Stats{}, nil
	}
	if e.rc == nil {
		e.rc = e.t.Grammar.newRecall()
	}
	enc, err := e.t.Grammar.encodeClassed(Classed{Tokens: e.base, Bounds: e.bounds, Classes: e.classes}, doc, e.rc)
	e.base, e.bounds, e.classes = enc.Tokens, enc.Bounds, enc.Classes
	st := enc.Stats
	if err != nil {
		return dst, st, err
	}
	st.BaseTokens = len(e.base)
	start := 0
	for _, end := range e.bounds {
		dst = e.segment(dst, e.base[start:end], e.classes[start:end])
		start = int(end)
	}
	return dst, st, nil
}

func (e *Encoder) segment(dst []int32, seg []Token, cls []uint8) []int32 {
	if len(seg) <= cacheMin {
		return e.shortest(dst, seg, cls) // cheaper than building a key and looking it up
	}
	e.key = e.key[:0]
	for i, t := range seg {
		e.key = append(e.key, byte(t>>8), byte(t), cls[i])
	}
	if ids, ok := e.cache[string(e.key)]; ok {
		return append(dst, ids...)
	}
	if ids, ok := e.old[string(e.key)]; ok {
		e.remember(ids)
		return append(dst, ids...)
	}
	ids := e.shortest(nil, seg, cls)
	e.remember(ids)
	return append(dst, ids...)
}

// shortest appends the fewest ids that spell seg. The merges define the
// vocabulary (learned by BPE); encoding picks, per segment, the shortest
// spelling by dynamic programming over the vocabulary trie (fewer tokens
// than applying the merges in rank order).
func (e *Encoder) shortest(dst []int32, seg []Token, cls []uint8) []int32 {
	n := len(seg) + 1
	if cap(e.cost) < n {
		e.cost, e.from, e.via = make([]int32, n), make([]int32, n), make([]int32, n)
	}
	return shortestSpelling(e.t.matchers(), dst, seg, cls, e.cost[:n], e.from[:n], e.via[:n])
}

func (e *Encoder) remember(ids []int32) {
	if len(e.cache) >= maxCache {
		e.old, e.cache = e.cache, make(map[string][]int32, maxCache/4)
	}
	e.cache[string(e.key)] = ids
}

// Decode turns content ids back into canonical JSON. It stops at the end of
// the document: consumed < len(ids) means surplus ids. A merged id that runs
// past the end of the document counts as consumed.
func (t *Tokenizer) Decode(ids []int32) (doc []byte, consumed int, err error) {
	m, release := t.newDecoder()
	defer release()
	for i, id := range ids {
		if err := t.Advance(m, id); err != nil {
			return nil, i, fmt.Errorf("id %d at position %d: %w", id, i, err)
		}
		if m.Done() {
			return m.JSON(), i + 1, nil
		}
	}
	return nil, len(ids), fmt.Errorf("%w (%d ids)", ErrTruncated, len(ids))
}

// DecodePrefix decodes as far as the ids go and returns the partial JSON,
// with the error that stopped it, if any.
func (t *Tokenizer) DecodePrefix(ids []int32) ([]byte, error) {
	m := t.NewMachine(false)
	for i, id := range ids {
		if m.Done() {
			break
		}
		if err := t.Advance(m, id); err != nil {
			return m.JSON(), fmt.Errorf("id %d at position %d: %w", id, i, err)
		}
	}
	return m.JSON(), nil
}

// BaseSize is the size of the base alphabet merges are built from.
func (t *Tokenizer) BaseSize() int {
	if t.Text != nil {
		return 256
	}
	return t.Grammar.Size
}

// Kind is KindBPE for a plain BPE tokenizer, "tct" for a schema-aware one.
func (t *Tokenizer) Kind() string {
	if t.Text != nil {
		return KindBPE
	}
	return "tct"
}

// NewMachine starts a machine at the top of a document: strict, it only
// accepts what the grammar allows (a plain BPE tokenizer has no grammar: its
// machine only follows the JSON text).
func (t *Tokenizer) NewMachine(strict bool) *Machine {
	if t.Text != nil {
		return newTextMachine()
	}
	return t.Grammar.NewMachine(strict)
}

// newDecoder starts a machine for decoding; release gives back what it borrowed.
func (t *Tokenizer) newDecoder() (*Machine, func()) {
	if t.Text != nil {
		return newTextMachine(), func() {}
	}
	return t.Grammar.newDecoder()
}
