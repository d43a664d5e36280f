package tokenizer

import (
	"testing"

	"github.com/tct-dev/tct/configs"
)

// The lexical state of a position is read from the token before it; each
// setting groups the five kinds of token differently.
func TestLexStates(t *testing.T) {
	prevs := []Token{TokEnd, 'a', '7', 0xC3, ' ', '\n', '/', TokObj}
	for _, c := range []struct {
		lex  int
		want []uint8 // per prevs
	}{
		{1, []uint8{0, 0, 0, 0, 0, 0, 0, 0}},
		{2, []uint8{0, 1, 1, 1, 0, 0, 0, 0}},
		{3, []uint8{0, 1, 1, 1, 0, 0, 2, 0}},
		{4, []uint8{0, 1, 1, 1, 2, 0, 3, 0}},
		{5, []uint8{0, 1, 1, 1, 2, 3, 4, 0}},
	} {
		g := &Grammar{}
		if err := g.SetClasses(nil, c.lex); err != nil {
			t.Fatal(err)
		}
		if g.Tables() != c.lex {
			t.Errorf("lex %d: %d tables", c.lex, g.Tables())
		}
		for i, p := range prevs {
			if got := g.tableOf(0, p); got != c.want[i] {
				t.Errorf("lex %d, after token %d: state %d, want %d", c.lex, p, got, c.want[i])
			}
		}
	}
	g := &Grammar{}
	for _, c := range []struct {
		classes, lex int
	}{{1, 0}, {1, MaxLex + 1}, {MaxClasses, 4}} {
		if err := g.SetClasses(make([][]string, c.classes-1), c.lex); err == nil {
			t.Errorf("%d classes × %d lexical states: no error", c.classes, c.lex)
		}
	}
}

// With lexical states, the table the encoder tags each base token with is
// the one the machine reads before that token, and a run script uses both
// states of its class.
func TestLexAgreement(t *testing.T) {
	g, err := CompileSchema(configs.WorkflowSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SetClasses([][]string{{"$.jobs.<^[_a-zA-Z][a-zA-Z0-9_-]*$>.steps[].run"}}, 2); err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"jobs":{"t":{"runs-on":"ubuntu-latest","steps":[{"run":"npm ci\n./x.sh --all"}]}},"on":"push"}`)
	enc, err := g.EncodeClassed(Classed{}, doc)
	toks, cls := enc.Tokens, enc.Classes
	if err != nil {
		t.Fatal(err)
	}
	m := g.NewMachine(false)
	seen := map[uint8]bool{}
	for i, b := range toks {
		if c := m.class(); c != cls[i] {
			t.Fatalf("token %d (%d): machine table %d, encoder table %d", i, b, c, cls[i])
		}
		seen[cls[i]] = true
		if err := m.Advance(b); err != nil {
			t.Fatal(err)
		}
	}
	for tab := range uint8(4) {
		if !seen[tab] {
			t.Errorf("no token in table %d (tables seen: %v)", tab, seen)
		}
	}
}
