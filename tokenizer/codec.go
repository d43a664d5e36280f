package tokenizer

import (
	"errors"
	"fmt"
)

// ErrTruncated is returned by Decode when the tokens end before the document.
var ErrTruncated = errors.New("token sequence ends before the document is complete")

// Decode turns base tokens back into canonical JSON. It stops at the end of
// the top-level value: consumed < len(toks) means surplus tokens. It never
// panics; an invalid or truncated sequence is an error (DecodePrefix gives
// the partial document).
func (g *Grammar) Decode(toks []Token) (doc []byte, consumed int, err error) {
	m, release := g.newDecoder()
	defer release()
	for _, t := range toks {
		if err := m.Advance(t); err != nil {
			return nil, m.Consumed(), err
		}
		if m.Done() {
			return m.JSON(), m.Consumed(), nil
		}
	}
	return nil, m.Consumed(), fmt.Errorf("%w (%d tokens)", ErrTruncated, len(toks))
}

// DecodePrefix decodes as far as the tokens go and returns the partial JSON
// text (not closed), with the error that stopped it, if any.
func (g *Grammar) DecodePrefix(toks []Token) ([]byte, error) {
	m := g.NewMachine(false)
	for _, t := range toks {
		if m.Done() {
			break
		}
		if err := m.Advance(t); err != nil {
			return m.JSON(), err
		}
	}
	return m.JSON(), nil
}
