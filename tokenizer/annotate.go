package tokenizer

import (
	"fmt"
)

// Kinds of content ids, by what the id stands for in its state.
const (
	KindStructure = "structure" // END, END_OBJ, END_ARR, OBJ, ARR, NUM, ESC, true, false, null
	KindKey       = "key"       // a key of the schema (KEY slot)
	KindValue     = "value"     // a dictionary value (ENUM slot)
	KindRecall    = "recall"    // a string, line or key spelled earlier in the document
	KindByte      = "byte"      // one byte of text spelled out
	KindMerge     = "merge"     // a merge of several base tokens (see Annotation.Table)
	KindText      = "bpe"       // an id of a plain BPE tokenizer (bytes of JSON text)
)

// Annotation says what one content id of a document means.
type Annotation struct {
	ID    int32    `json:"id"`
	Kind  string   `json:"kind"`
	Table int      `json:"table"` // the merge table the id was read in
	N     int      `json:"n"`     // how many base tokens it stands for
	Base  []string `json:"base"`  // its base tokens, named in context (bytes show in Text)
	Text  string   `json:"text"`  // the canonical JSON it produced
	Path  string   `json:"path"`  // the schema position where it starts
	Bytes int      `json:"bytes"` // len(Text): the bytes of canonical JSON it stands for
}

// KindName is the kind with the merge table of a merge ("merge:3"), the
// grouping of loss by kind.
func (a Annotation) KindName() string {
	if a.Kind == KindMerge {
		return fmt.Sprintf("%s:%d", a.Kind, a.Table)
	}
	return a.Kind
}

// Annotate decodes ids and says what each one means. It stops at the end of
// the document: surplus ids are an error, a prefix is fine.
func (t *Tokenizer) Annotate(ids []int32) ([]Annotation, error) {
	m := t.NewMachine(false)
	out := make([]Annotation, 0, len(ids))
	for i, id := range ids {
		if m.Done() {
			return out, fmt.Errorf("%d ids after the end of the document (position %d)", len(ids)-i, i)
		}
		a, err := t.annotate(m, id)
		if err != nil {
			return out, fmt.Errorf("id %d at position %d: %w", id, i, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// annotate advances m by one id and describes it.
func (t *Tokenizer) annotate(m *Machine, id int32) (Annotation, error) {
	if t.Text != nil {
		bs := t.Text.Bytes(id)
		a := Annotation{ID: id, Kind: KindText, N: len(bs), Text: string(bs), Bytes: len(bs)}
		return a, t.advanceText(m, id)
	}
	a := Annotation{ID: id, Table: int(m.class())}
	exp := t.Expansion(m, id)
	a.N = len(exp)
	if exp == nil {
		return a, fmt.Errorf("not a content id (merge class %d)", a.Table)
	}
	if f := m.top(); f != nil && f.node != nil {
		a.Path = f.node.Path
	}
	before := len(m.JSON())
	for _, b := range exp {
		if m.Done() {
			return a, ErrPastEnd
		}
		f := m.top()
		if f.kind == fArray && b != TokEndArr {
			f = &frame{kind: fValue, node: f.node.items}
		}
		name, kind := t.Grammar.describeToken(b, f)
		if b >= 256 {
			a.Base = append(a.Base, name)
		}
		a.Kind = kind
		if err := m.Advance(b); err != nil {
			return a, err
		}
	}
	if len(exp) > 1 {
		a.Kind = KindMerge
	}
	a.Text = string(m.JSON()[before:])
	a.Bytes = len(a.Text)
	return a, nil
}
