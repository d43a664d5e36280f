package explore

import (
	"fmt"
	"slices"

	"github.com/tct-dev/tct/tokenizer"
)

// Allowed is the answer of /api/allowed: what the grammar allows at one
// position of a document, and what the model would pick there.
type Allowed struct {
	Pos     int      `json:"pos"`
	Actual  Token    `json:"actual"`
	Count   int      `json:"count"`          // ids the grammar allows here
	Strict  bool     `json:"strict"`         // false: the document leaves the strict grammar before pos
	Model   bool     `json:"model"`          // the choices are ranked by the model
	Mass    *float64 `json:"mass,omitempty"` // the model's probability on the allowed ids
	Choices []Choice `json:"choices"`        // the model's top choices, or allowed ids, the schema's first
}

// maxChoices is how many allowed ids the answer lists.
const maxChoices = 12

// allowedAt lists the ids the grammar allows at position pos of d: a strict
// machine advanced over the ids before pos (a lenient one when the document
// leaves the strict grammar), ranked by the model when there is one.
func (s *Server) allowedAt(d *doc, pos int) (*Allowed, error) {
	if pos < 0 || pos >= len(d.ids) {
		return nil, fmt.Errorf("position %d: the document has %d ids", pos, len(d.ids))
	}
	tok := s.an.tok
	m, strict := prefixMachine(tok, d.ids[:pos])
	set := tok.AllowedIDs(m).Tokens()
	ann, err := tok.Annotate(d.ids[:pos+1])
	if err != nil {
		return nil, err
	}
	a := ann[pos]
	res := &Allowed{Pos: pos, Count: len(set), Strict: strict, Model: s.model != nil,
		Actual: newToken(a)}
	if s.model != nil {
		var mass float64
		if res.Choices, mass, err = s.model.ranked(d.ids, pos, set, maxChoices); err != nil {
			return nil, err
		}
		res.Mass = &mass
	} else {
		for _, id := range schemaFirst(set, tok.Grammar.Size)[:min(maxChoices, len(set))] {
			res.Choices = append(res.Choices, Choice{ID: int32(id)})
		}
	}
	prefix := append([]int32{}, d.ids[:pos]...)
	for i := range res.Choices {
		ann, err := tok.Annotate(append(prefix, res.Choices[i].ID))
		if err != nil {
			return nil, fmt.Errorf("allowed id %d at position %d: %w", res.Choices[i].ID, pos, err)
		}
		res.Choices[i].Text, _ = visible(ann[pos].Text)
		res.Choices[i].Kind = ann[pos].Kind
	}
	return res, nil
}

// schemaFirst orders ids for a reader without a model: the grammar's own
// tokens (structure, keys, values; below size, from 256 on) first, then
// merges, then single bytes.
func schemaFirst(ids []tokenizer.Token, size int) []tokenizer.Token {
	rank := func(id tokenizer.Token) int {
		switch {
		case id < 256:
			return 2
		case int(id) < size:
			return 0
		}
		return 1
	}
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b tokenizer.Token) int { return rank(a) - rank(b) })
	return out
}

// prefixMachine advances a strict machine over ids; if the grammar refuses
// one, a lenient machine instead.
func prefixMachine(tok *tokenizer.Tokenizer, ids []int32) (*tokenizer.Machine, bool) {
	if m, ok := advanceAll(tok, tok.NewMachine(true), ids); ok {
		return m, true
	}
	m, _ := advanceAll(tok, tok.NewMachine(false), ids)
	return m, false
}

func advanceAll(tok *tokenizer.Tokenizer, m *tokenizer.Machine, ids []int32) (*tokenizer.Machine, bool) {
	for _, id := range ids {
		if tok.Advance(m, id) != nil {
			return m, false
		}
	}
	return m, true
}
