package tokenizer

import (
	"errors"
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
	m := t.NewMachine(false)
	for i, id := range ids {
		if m.Done() {
			fmt.Fprintf(w, "        (the document ends here; %d surplus ids)\n", len(ids)-i)
			return nil
		}
		a, err := t.annotate(m, id)
		switch {
		case a.N == 0:
			return fmt.Errorf("id %d at position %d is not a content id (merge class %d)", id, i, a.Table)
		case errors.Is(err, ErrPastEnd):
			return fmt.Errorf("id %d at position %d runs past the end of the document", id, i)
		case err != nil:
			return fmt.Errorf("id %d at position %d: %w", id, i, err)
		}
		kind := "base"
		if a.Kind == KindText {
			kind = KindText
		} else if a.N > 1 {
			kind = fmt.Sprintf("merge/%d:%d", a.N, a.Table)
		}
		fmt.Fprintf(w, "%6d  %5d  %-11s %-40s %s\n", i, id, kind, strings.Join(a.Base, " "), a.Text)
	}
	if !m.Done() {
		fmt.Fprintln(w, "        (the document is incomplete)")
	}
	return nil
}
