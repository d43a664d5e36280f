package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// KindBPE names a plain byte-level BPE over the canonical JSON text, the
// baseline the schema-aware tokenizer is measured against: no grammar, ids
// 0-255 are bytes, merges follow, and a window has one start id.
const KindBPE = "bpe"

// TextBPE is a byte-level BPE: text is pre-split into chunks (Presplit) and
// each chunk is encoded by applying merges in the order they were learned.
type TextBPE struct {
	Pairs  [][2]int32 // merge i makes id 256+i from two ids
	rank   map[[2]int32]int32
	expand [][]byte // the bytes of every id
	mu     sync.Mutex
	cache  map[string][]int32
}

// NewTextBPE builds the encoder and decoder tables of a list of merges.
func NewTextBPE(pairs [][2]int32) (*TextBPE, error) {
	b := &TextBPE{Pairs: pairs, rank: make(map[[2]int32]int32, len(pairs)), expand: make([][]byte, 256+len(pairs)),
		cache: map[string][]int32{}}
	for i := range 256 {
		b.expand[i] = []byte{byte(i)}
	}
	for i, p := range pairs {
		id := int32(256 + i)
		if p[0] < 0 || p[1] < 0 || p[0] >= id || p[1] >= id {
			return nil, fmt.Errorf("merge %d (%d, %d) refers to an id not defined before it", i, p[0], p[1])
		}
		if _, dup := b.rank[p]; dup {
			return nil, fmt.Errorf("merge %d (%d, %d) is learned twice", i, p[0], p[1])
		}
		b.rank[p] = int32(i)
		b.expand[id] = append(append([]byte(nil), b.expand[p[0]]...), b.expand[p[1]]...)
	}
	return b, nil
}

// Size is the number of content ids.
func (b *TextBPE) Size() int { return len(b.expand) }

// Bytes is the text of id (nil past the content ids).
func (b *TextBPE) Bytes(id int32) []byte {
	if id < 0 || int(id) >= len(b.expand) {
		return nil
	}
	return b.expand[id]
}

// Encode appends the ids of text to dst.
func (b *TextBPE) Encode(dst []int32, text []byte) []int32 {
	Presplit(text, func(chunk []byte) {
		dst = append(dst, b.chunk(chunk)...)
	})
	return dst
}

// chunk encodes one pre-split chunk: merge the adjacent pair learned first
// until none is left (the classic BPE encoder); results are cached.
func (b *TextBPE) chunk(c []byte) []int32 {
	b.mu.Lock()
	ids, ok := b.cache[string(c)]
	b.mu.Unlock()
	if ok {
		return ids
	}
	ids = make([]int32, len(c))
	for i, x := range c {
		ids[i] = int32(x)
	}
	for len(ids) > 1 {
		best, at := int32(-1), -1
		for i := 0; i+1 < len(ids); i++ {
			if r, ok := b.rank[[2]int32{ids[i], ids[i+1]}]; ok && (best < 0 || r < best) {
				best, at = r, i
			}
		}
		if at < 0 {
			break
		}
		ids[at] = 256 + best
		ids = append(ids[:at+1], ids[at+2:]...)
	}
	if len(c) <= 64 {
		b.mu.Lock()
		if len(b.cache) > 1<<18 {
			b.cache = map[string][]int32{}
		}
		b.cache[string(c)] = ids
		b.mu.Unlock()
	}
	return ids
}

// Presplit cuts text into chunks in the manner of GPT-4's pattern: a word
// with at most one leading non-letter, runs of up to three digits,
// punctuation runs with an optional leading space, and whitespace. Bytes of
// multi-byte UTF-8 characters count as letters.
func Presplit(text []byte, emit func([]byte)) {
	for i := 0; i < len(text); {
		n := chunkLen(text[i:])
		emit(text[i : i+n])
		i += n
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// chunkLen is the length of the chunk at the start of t (at least 1).
func chunkLen(t []byte) int {
	run := func(from int, in func(byte) bool, most int) int {
		j := from
		for j < len(t) && in(t[j]) && j-from < most {
			j++
		}
		return j
	}
	c := t[0]
	punct := func(b byte) bool { return !isLetter(b) && !isDigit(b) && !isSpace(b) }
	switch {
	case isLetter(c):
		return run(0, isLetter, len(t))
	case len(t) > 1 && !isDigit(c) && !isSpace(c) && isLetter(t[1]):
		return run(1, isLetter, len(t)) // one leading punctuation or space, then a word
	case c == ' ' && len(t) > 1 && isLetter(t[1]):
		return run(1, isLetter, len(t))
	case isDigit(c):
		return run(0, isDigit, 3)
	case c == ' ' && len(t) > 1 && punct(t[1]):
		return run(1, punct, len(t)) // a space, then punctuation
	case isSpace(c):
		if j := run(0, isSpace, len(t)); j == len(t) || j == 1 {
			return j
		} else {
			return j - 1 // leave the last space to the word after it
		}
	}
	return run(0, punct, len(t))
}

// textScan follows the bytes of a JSON document closely enough to know
// where it ends; the whole document is validated there.
type textScan struct {
	depth            int
	started, done    bool
	inString, escape bool
}

var errNotWorkflow = errors.New("a workflow is a JSON object")

// step takes one byte of the document.
func (s *textScan) step(c byte, out []byte) error {
	switch {
	case s.inString:
		switch {
		case s.escape:
			s.escape = false
		case c == '\\':
			s.escape = true
		case c == '"':
			s.inString = false
		case c < 0x20:
			return fmt.Errorf("control byte 0x%02x in a string", c)
		}
		return nil
	case !s.started:
		if isSpace(c) {
			return nil
		}
		if c != '{' {
			return errNotWorkflow
		}
		s.started = true
		s.depth = 1
		return nil
	}
	switch c {
	case '"':
		s.inString = true
	case '{', '[':
		s.depth++
	case '}', ']':
		s.depth--
	}
	if s.depth == 0 {
		s.done = true
		if !json.Valid(out) {
			return errors.New("the text is not valid JSON")
		}
	}
	return nil
}

// newTextMachine starts a machine that reads the bytes of a document.
func newTextMachine() *Machine {
	return &Machine{text: &textScan{}}
}

// advanceText feeds the bytes of a BPE id to a text machine.
func (t *Tokenizer) advanceText(m *Machine, id int32) error {
	if m.Done() {
		return ErrDone
	}
	bs := t.Text.Bytes(id)
	if bs == nil {
		return fmt.Errorf("id %d is not a content id (%d)", id, t.Text.Size())
	}
	for i, c := range bs {
		if m.Done() {
			return fmt.Errorf("id %d: %w", id, ErrPastEnd)
		}
		m.out = append(m.out, c)
		if err := m.text.step(c, m.out); err != nil {
			m.out = m.out[:len(m.out)-i-1]
			return fmt.Errorf("id %d at byte %d: %w", id, len(m.out), err)
		}
	}
	m.n++
	return nil
}

// TextSegments turns chunk counts into training segments of byte tokens.
func TextSegments(chunks map[string]int64) Segments {
	segs := Segments{}
	keys := make([]string, 0, len(chunks))
	for k := range chunks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		buf := make([]byte, 0, 2*len(k))
		for i := 0; i < len(k); i++ {
			buf = append(buf, 0, k[i])
		}
		segs[string(buf)] += chunks[k]
	}
	return segs
}

// NewText makes a plain BPE tokenizer; its windows have positions start ids
// (one: a single start id for every window).
func NewText(b *TextBPE, positions int) *Tokenizer {
	return &Tokenizer{Text: b, Layout: NewLayout(b.Size(), positions)}
}
