package tokenizer

import (
	"fmt"
	"io"
	"strings"
)

// Describe writes one line per token, or per run of string bytes, with its
// meaning in context: `KEY runs-on`, `ENUM "ubuntu-latest"`, `STR "npm test"`.
// It stops at the first token the grammar rejects, and says why.
func (g *Grammar) Describe(w io.Writer, toks []Token) error {
	m := g.NewMachine(false)
	indent := func() string { return strings.Repeat("  ", max(len(m.stack)-1, 0)) }
	var run []byte
	runStart, runKind := 0, ""
	flush := func() {
		if runKind != "" {
			fmt.Fprintf(w, "%6d  %s%s %q (%d tokens)\n", runStart, indent(), runKind, run, len(run)+1)
			run, runKind = run[:0], ""
		}
	}
	for i, t := range toks {
		f := m.top()
		if f == nil {
			fmt.Fprintf(w, "%6d  surplus: %d tokens after the document\n", i, len(toks)-i)
			return nil
		}
		if f.kind == fArray && t != TokEndArr {
			f = &frame{kind: fValue, node: f.node.items} // the token starts an element
		}
		kind := f.kind
		if kind == fValue && t <= TokEnd {
			switch n := f.node; {
			case n.Free&tString != 0:
				kind = fString
			case n.Free&(tNumber|tInteger) != 0 && n.numberImplicit():
				kind = fNumber
			default:
				kind = fKey
			}
		}
		if kind == fObject && t <= TokEnd {
			kind = fKey
		}
		name := g.tokenName(t, f)
		if err := m.Advance(t); err != nil {
			flush()
			fmt.Fprintf(w, "%6d  error: %v\n", i, err)
			return err
		}
		if t <= TokEnd && (kind == fString || kind == fNumber || kind == fKey) {
			if runKind == "" {
				runStart, runKind = i, map[frameKind]string{fString: "STR", fNumber: "NUM", fKey: "KEY?"}[kind]
			}
			if t == TokEnd {
				flush()
			} else {
				run = append(run, byte(t))
			}
			continue
		}
		flush()
		fmt.Fprintf(w, "%6d  %s%s\n", i, indent(), name)
	}
	flush()
	if !m.Done() {
		fmt.Fprintf(w, "        (incomplete: %d frames open)\n", len(m.stack))
	}
	return nil
}
