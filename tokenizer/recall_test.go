package tokenizer

import (
	"strings"
	"testing"

	"github.com/tct-dev/tct/configs"
)

func recallGrammar(t *testing.T, slots int) *Grammar {
	t.Helper()
	g, err := CompileSchemaDict(configs.WorkflowSchema, &Dictionary{Recall: slots})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// names decodes base tokens with a machine and names each in its state,
// failing on a token the machine refuses or a decoded text that differs.
func names(t *testing.T, g *Grammar, toks []Token, doc string) []string {
	t.Helper()
	m := g.NewMachine(false)
	var out []string
	for i, tk := range toks {
		out = append(out, g.tokenName(tk, m.top()))
		if err := m.Advance(tk); err != nil {
			t.Fatalf("token %d (%s): %v", i, out[i], err)
		}
	}
	if !m.Done() || string(m.JSON()) != doc {
		t.Fatalf("decoded (done %v)\n%s\nwant\n%s", m.Done(), m.JSON(), doc)
	}
	return out
}

func count(names []string, prefix string) int {
	n := 0
	for _, s := range names {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// A string spelled earlier at the same node is one RECALL token; a line
// spelled earlier (not a string's first line) is one LINE token; both
// decode to the same text; per-node lists, numbered by first appearance.
func TestRecall(t *testing.T) {
	g := recallGrammar(t, 8)
	const setup = `make setup-tools-now\nmake test\n`
	doc := `{"on":"push","jobs":{` +
		`"a":{"runs-on":"ubuntu-latest","steps":[{"name":"Build it","run":"` + setup + `"}]},` +
		`"b":{"runs-on":"ubuntu-latest","steps":[{"name":"Build it","run":"` + setup + `"},` +
		`{"name":"Lint","run":"echo start\nmake setup-tools-now\nmake lint-all-files\nmake test\n"},` +
		`{"run":"make test\nls\nls\n"}]}}}`
	toks, st, err := g.Encode(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := names(t, g, toks, doc)
	// Job b's step name and run script are recalled: slot 0 of each node.
	if n := count(got, "RECALL#0"); n != 2 {
		t.Errorf("%d RECALL#0 tokens, want 2 (step name, run script): %v", n, got)
	}
	for i, name := range got { // slot 0 is one id at every node
		if name == "RECALL#0" && toks[i] != g.recallSlot(0) {
			t.Errorf("RECALL#0 is id %d, want %d", toks[i], g.recallSlot(0))
		}
	}
	// Lint's script: its first line spelled, then the first two lines of
	// job a's script (line slots 0 and 1); "make test" opens the last
	// script: a first line is never recalled, and "ls" is too short.
	if n := count(got, "LINE#0"); n != 1 {
		t.Errorf("%d LINE#0, want 1: %v", n, got)
	}
	if n := count(got, "LINE#1"); n != 1 {
		t.Errorf("%d LINE#1, want 1: %v", n, got)
	}
	if n := count(got, "LINE#") + count(got, "RECALL#"); n != 4 || st.Recalled != 4 {
		t.Errorf("%d recall tokens, stats say %d; want 4", n, st.Recalled)
	}
	// Without recall the same document spells everything and is longer.
	plain, _, err := recallGrammar(t, 0).Encode(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) < len(toks)+2*len(setup) {
		t.Errorf("recall saved %d base tokens, want at least %d", len(plain)-len(toks), 2*len(setup))
	}
	// Segments: a recalled line is a segment of its own.
	enc, err := g.EncodeClassed(Classed{}, []byte(doc))
	toks2, bounds := enc.Tokens, enc.Bounds
	if err != nil || len(toks2) != len(toks) {
		t.Fatalf("EncodeClassed: %v, %d tokens vs %d", err, len(toks2), len(toks))
	}
	start := 0
	for _, end := range bounds {
		for i := start; i < int(end); i++ {
			if got[i] == "LINE#0" && (i != start || int(end) != i+1) {
				t.Errorf("LINE#0 at %d shares its segment [%d, %d)", i, start, end)
			}
		}
		start = int(end)
	}
}

// A node remembers at most its slots; later values are spelled, also when
// they repeat. The machine refuses an empty slot.
func TestRecallSlots(t *testing.T) {
	g := recallGrammar(t, 1)
	doc := `{"on":"push","jobs":{"a":{"runs-on":"x","steps":[{"run":"one"},{"run":"two"},{"run":"two"},{"run":"one"}]}}}`
	toks, st, err := g.Encode(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := names(t, g, toks, doc)
	if st.Recalled != 1 || count(got, "RECALL#0") != 1 {
		t.Errorf("recalled %d, want 1 (only the first value has a slot): %v", st.Recalled, got)
	}

	// A recall slot before anything was spelled at its node.
	m := g.NewMachine(false)
	var run *Node
	for _, n := range g.nodes {
		if strings.HasSuffix(n.Path, ".steps[].run") {
			run = n
		}
	}
	for _, tk := range toks {
		if f := m.top(); f.kind == fValue && f.node == run {
			if err := m.Clone().Advance(g.recallSlot(0)); err == nil || !strings.Contains(err.Error(), "no string to recall") {
				t.Fatalf("empty recall slot: %v", err)
			}
			if m.Allowed().Has(g.recallSlot(0)) {
				t.Fatal("Allowed offers an empty recall slot")
			}
			break
		}
		if err := m.Advance(tk); err != nil {
			t.Fatal(err)
		}
	}
}

// Line slots are allowed at the start of a line other than a string's
// first, when the node has spelled a line; nowhere else.
func TestRecallLineStates(t *testing.T) {
	g := recallGrammar(t, 4)
	doc := `{"on":"push","jobs":{"a":{"runs-on":"x","steps":[{"run":"apt-get update\nmake\n"},{"run":"x\napt-get update\n"}]}}}`
	toks, _, err := g.Encode(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	names(t, g, toks, doc)
	m := g.NewMachine(false)
	var lineStarts, offered int
	for i, tk := range toks {
		f := m.top()
		allowed := m.Allowed()
		if f.kind == fString {
			if m.atLineStart(f) {
				lineStarts++
			}
			if allowed.Has(lineSlot(0)) {
				offered++
				if !m.atLineStart(f) {
					t.Fatalf("token %d: LINE#0 offered inside a line", i)
				}
			}
		}
		if !allowed.Has(tk) {
			t.Fatalf("token %d (%s) not in Allowed", i, g.tokenName(tk, f))
		}
		if err := m.Advance(tk); err != nil {
			t.Fatal(err)
		}
	}
	// Line starts: after "update\n" and after "make\n" (where END may
	// come too) in the first script, after "x\n" and after the recalled
	// line in the second; the first line is remembered by then.
	if lineStarts != 4 || offered != 4 {
		t.Errorf("%d line starts, LINE#0 offered at %d; want 4 and 4", lineStarts, offered)
	}
}

func TestRecallBadSettings(t *testing.T) {
	for _, r := range []int{-1, MaxRecall + 1} {
		if _, err := CompileSchemaDict(configs.WorkflowSchema, &Dictionary{Recall: r}); err == nil {
			t.Errorf("recall %d accepted", r)
		}
	}
	g := recallGrammar(t, MaxRecall)
	if g.Recall() != MaxRecall || g.Size > MaxAlphabet {
		t.Errorf("recall %d, alphabet %d", g.Recall(), g.Size)
	}
}

// Keys of open maps recall too: an env key spelled in one job is one token
// in the next job's env; a strict machine offers and accepts a recalled key
// only where the object does not hold it yet.
func TestRecallKeys(t *testing.T) {
	g := recallGrammar(t, 4)
	doc := `{"on":"push","jobs":{"a":{"runs-on":"x","env":{"MY_TOOL_HOME":"/opt/t","OTHER":"1"},"steps":[{"run":"m"}]},` +
		`"b":{"runs-on":"y","env":{"OTHER":"2","MY_TOOL_HOME":"/opt/u"},"steps":[{"run":"n"}]}}}`
	toks, st, err := g.Encode(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := names(t, g, toks, doc)
	if count(got, "RECALL-KEY#1") != 1 || count(got, "RECALL-KEY#0") != 1 {
		t.Errorf("want job b's env keys recalled (slots 1 then 0): %v", got)
	}
	if st.Recalled != 2 {
		t.Errorf("stats: %d recalled, want 2", st.Recalled)
	}
	// Strict: in job b's env after OTHER, slot 1 (OTHER) is taken, slot 0 is not.
	m := g.NewMachine(true)
	for i, tk := range toks {
		if got[i] == "RECALL-KEY#0" {
			a := m.Allowed()
			if !a.Has(g.recallSlot(0)) || a.Has(g.recallSlot(1)) {
				t.Errorf("strict Allowed: slot 0 %v, slot 1 %v; want only slot 0", a.Has(g.recallSlot(0)), a.Has(g.recallSlot(1)))
			}
			if err := m.Clone().Advance(g.recallSlot(1)); err == nil {
				t.Error("strict machine accepts a repeated key by recall")
			}
		}
		if err := m.Advance(tk); err != nil {
			t.Fatalf("strict, token %d (%s): %v", i, got[i], err)
		}
	}
}
