package tokenizer

import (
	"fmt"
	"io"
	"strings"
)

// Explain writes one line per content id: the id, its kind (a base token, or
// a merge of n base tokens from merge table k: merge/n:k), the names of its
// base tokens in context, and
// the JSON text it produced. Like Decode it stops at the end of the
// document and says how many ids are left over.
func (t *Tokenizer) Explain(w io.Writer, ids []int32) error {
	m := t.Grammar.NewMachine(false)
	for i, id := range ids {
		if m.Done() {
			fmt.Fprintf(w, "        (the document ends here; %d surplus ids)\n", len(ids)-i)
			return nil
		}
		class := m.class()
		exp := t.Expansion(m, id)
		if exp == nil {
			return fmt.Errorf("id %d at position %d is not a content id (merge class %d)", id, i, m.class())
		}
		var names []string
		before := len(m.JSON())
		for _, b := range exp {
			if m.Done() {
				return fmt.Errorf("id %d at position %d runs past the end of the document", id, i)
			}
			f := m.top()
			if f.kind == fArray && b != TokEndArr {
				f = &frame{kind: fValue, node: f.node.items}
			}
			if b >= 256 { // bytes show in the text column
				names = append(names, t.Grammar.tokenName(b, f))
			}
			if err := m.Advance(b); err != nil {
				return fmt.Errorf("id %d at position %d: %w", id, i, err)
			}
		}
		kind := "base"
		if len(exp) > 1 {
			kind = fmt.Sprintf("merge/%d:%d", len(exp), class)
		}
		fmt.Fprintf(w, "%6d  %5d  %-11s %-40s %s\n", i, id, kind, strings.Join(names, " "), m.JSON()[before:])
	}
	if !m.Done() {
		fmt.Fprintln(w, "        (the document is incomplete)")
	}
	return nil
}
