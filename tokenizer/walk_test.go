package tokenizer_test

// Random walks of Allowed/Advance over the real workflow schemas:
// consistency of Allowed with Advance (strict and non-strict), and the
// strict-mode promise that every complete walk is a document valid under
// the grammar's typing (checked with an independent JSON Schema validator
// against g.ExportSchema()).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tct-dev/tct/tokenizer"
)

var realGrammars sync.Map // path → *tokenizer.Grammar

func realGrammar(t testing.TB, path string) *tokenizer.Grammar {
	t.Helper()
	if g, ok := realGrammars.Load(path); ok {
		return g.(*tokenizer.Grammar)
	}
	g := loadGrammar(t, path)
	realGrammars.Store(path, g)
	return g
}

// compileValidator compiles a JSON Schema with the independent validator.
func compileValidator(t testing.TB, name string, schema []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	url := "https://tct.invalid/" + name + ".json"
	if m, ok := doc.(map[string]any); ok {
		if id, ok := m["$id"].(string); ok {
			url = id
		}
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: compile: %v", name, err)
	}
	return s
}

func validates(s *jsonschema.Schema, doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// depthScanner tracks the bracket depth of a growing JSON text.
type depthScanner struct {
	pos, depth, max int
	inStr, esc      bool
}

func (s *depthScanner) feed(b []byte) {
	for ; s.pos < len(b); s.pos++ {
		c := b[s.pos]
		switch {
		case s.inStr && s.esc:
			s.esc = false
		case s.inStr && c == '\\':
			s.esc = true
		case s.inStr && c == '"':
			s.inStr = false
		case s.inStr:
		case c == '"':
			s.inStr = true
		case c == '{' || c == '[':
			s.depth++
			s.max = max(s.max, s.depth)
		case c == '}' || c == ']':
			s.depth--
		}
	}
}

type walkOpts struct {
	strict   bool
	maxSteps int
	probe    bool // probe tokens outside Allowed (and inside) on clones
}

type walkResult struct {
	toks    []Tok
	m       *tokenizer.Machine
	done    bool
	deadEnd bool // Allowed was empty before the document was complete
	probes  int
}

// chooseToken picks from the allowed set with weights that favour ends as
// the walk gets deep or long, short strings, and readable bytes.
func chooseToken(rng *rand.Rand, g *tokenizer.Grammar, allowed []Tok, depth, step, run int, endScale float64) Tok {
	var ends, opens, keys, enums, lits, ascii, other []Tok
	for _, t := range allowed {
		switch {
		case t == tEND || t == tEO || t == tEA:
			ends = append(ends, t)
		case t == tOBJ || t == tARR:
			opens = append(opens, t)
		case t >= tokenizer.KeyBase && t < g.EnumBase:
			keys = append(keys, t)
		case t >= g.EnumBase:
			enums = append(enums, t)
		case t > tEND:
			lits = append(lits, t)
		case t >= 0x20 && t < 0x7f:
			ascii = append(ascii, t)
		default:
			other = append(other, t)
		}
	}
	type cat struct {
		toks []Tok
		w    float64
	}
	endW := endScale*(0.4+0.5*float64(depth)) + float64(step)/300 + 0.6*float64(run)
	cats := []cat{
		{ends, endW * float64(len(ends))},
		{opens, 0.8 / float64(1+depth)},
		{keys, 3},
		{enums, 3},
		{lits, 0.6 * float64(len(lits))},
		{ascii, 2.7},
		{other, 0.3},
	}
	total := 0.0
	for i := range cats {
		if len(cats[i].toks) == 0 {
			cats[i].w = 0
		}
		total += cats[i].w
	}
	x := rng.Float64() * total
	for _, c := range cats {
		if x < c.w {
			return c.toks[rng.IntN(len(c.toks))]
		}
		x -= c.w
	}
	return allowed[rng.IntN(len(allowed))]
}

// closeAfter is the run of bytes after which a walk closes a string or key
// that cannot end yet.
const closeAfter = 24

// randomWalk drives a machine with tokens drawn from Allowed until the
// document is complete, Allowed is empty, or maxSteps. Every drawn token
// must be accepted; with probe, tokens outside Allowed must be refused.
func randomWalk(t testing.TB, g *tokenizer.Grammar, rng *rand.Rand, o walkOpts) walkResult {
	t.Helper()
	m := g.NewMachine(o.strict)
	var res walkResult
	var sc depthScanner
	softDepth := 2 + rng.IntN(5)
	endScale := 0.2 + 1.5*rng.Float64() // how eager this walk is to close things
	run := 0
	for step := 0; step < o.maxSteps; step++ {
		if m.Done() {
			res.done = true
			break
		}
		a := m.Allowed()
		toks := a.Tokens()
		if a.Count() != len(toks) {
			t.Fatalf("Count %d != len(Tokens) %d", a.Count(), len(toks))
		}
		if len(toks) == 0 {
			res.deadEnd = true
			break
		}
		if last := toks[len(toks)-1]; int(last) >= g.Size {
			t.Fatalf("Allowed has token %d >= Size %d", last, g.Size)
		}
		if o.probe {
			before := len(m.JSON())
			for range 3 {
				var bad Tok
				found := false
				for range 20 {
					bad = Tok(rng.IntN(g.Size + 10))
					if !a.Has(bad) {
						found = true
						break
					}
				}
				if !found {
					continue
				}
				res.probes++
				if err := m.Clone().Advance(bad); err == nil {
					t.Fatalf("strict=%v: token %d not in Allowed but Advance accepts it after %q (tokens %v)", o.strict, bad, m.JSON(), res.toks)
				}
			}
			if special := Tok(256 + rng.IntN(10)); !a.Has(special) {
				res.probes++
				if err := m.Clone().Advance(special); err == nil {
					t.Fatalf("strict=%v: token %d not in Allowed but Advance accepts it after %q (tokens %v)", o.strict, special, m.JSON(), res.toks)
				}
			}
			other := toks[rng.IntN(len(toks))]
			if err := m.Clone().Advance(other); err != nil {
				t.Fatalf("strict=%v: token %d in Allowed refused: %v (after %q)", o.strict, other, err, m.JSON())
			}
			if len(m.JSON()) != before {
				t.Fatalf("probing a clone changed the machine")
			}
		}
		var tok Tok
		var c *tokenizer.Machine
		var csc depthScanner
		for try := 0; ; try++ {
			tok = chooseToken(rng, g, toks, sc.depth, step, run, endScale)
			if run >= closeAfter && !a.Has(tEND) {
				// A string or key under a pattern ends only where it matches:
				// after a while the walk closes it the shortest way.
				tok, _ = tokenizer.ClosingToken(m)
			}
			c = m.Clone()
			if err := c.Advance(tok); err != nil {
				t.Fatalf("strict=%v: token %d from Allowed refused: %v (after %q)", o.strict, tok, err, m.JSON())
			}
			csc = sc
			csc.feed(c.JSON())
			if csc.depth <= sc.depth || sc.depth < softDepth || try >= 4 || rng.Float64() < 0.1 {
				break
			}
		}
		before := bytes.Clone(m.JSON())
		if err := m.Advance(tok); err != nil {
			t.Fatalf("strict=%v: token %d from Allowed refused: %v", o.strict, tok, err)
		}
		if !bytes.Equal(m.JSON(), c.JSON()) || !bytes.HasPrefix(m.JSON(), before) || m.Consumed() != c.Consumed() || m.Done() != c.Done() {
			t.Fatalf("clone and machine disagree: %q vs %q", m.JSON(), c.JSON())
		}
		sc = csc
		res.toks = append(res.toks, tok)
		if tok < tEND {
			run++
		} else {
			run = 0
		}
	}
	if !res.done && m.Done() {
		res.done = true
	}
	res.m = m
	return res
}

// TestAllowedAdvanceConsistency: along random walks over both real
// schemas, in strict and non-strict machines, every token of Allowed() is
// accepted and sampled tokens outside it are refused; the result of a
// complete non-strict walk round-trips through Decode.
// walkGrammar is a grammar of the walk tests and the schema it follows:
// "recall" is ours with recall slots (walks then recall values, lines and
// keys they spelled).
func walkGrammar(t *testing.T, name string) (*tokenizer.Grammar, string) {
	if name == "recall" {
		return recallGrammar(t, 4), schemas["ours"]
	}
	return realGrammar(t, schemas[name]), schemas[name]
}

func TestAllowedAdvanceConsistency(t *testing.T) {
	for _, name := range []string{"ours", "schemastore", "recall"} {
		g, _ := walkGrammar(t, name)
		for _, strict := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/strict=%v", name, strict), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, uint64(len(name))*2+map[bool]uint64{false: 0, true: 1}[strict]))
				done, dead, steps, probes := 0, 0, 0, 0
				for range 20 {
					r := randomWalk(t, g, rng, walkOpts{strict: strict, maxSteps: 1200, probe: true})
					steps += len(r.toks)
					probes += r.probes
					if r.deadEnd {
						dead++
						if !strict {
							t.Errorf("non-strict machine has an empty Allowed set after %q", r.m.JSON())
						}
					}
					if !r.done {
						continue
					}
					done++
					out, consumed, err := g.Decode(r.toks)
					if err != nil || consumed != len(r.toks) || !bytes.Equal(out, r.m.JSON()) {
						t.Errorf("Decode of a complete walk: %q, %d/%d, %v", out, consumed, len(r.toks), err)
					}
					if !json.Valid(out) {
						t.Errorf("complete walk is not JSON: %q", out)
					}
				}
				t.Logf("20 walks: %d complete, %d dead ends, %d steps, %d refused-token probes", done, dead, steps, probes)
			})
		}
	}
}

// TestStrictWalkDocuments: strict random walks to completion produce
// documents that (a) are valid JSON, (b) re-encode without escapes or
// off-schema keys and decode to the same bytes, in no more tokens than the
// walk (without recall), with the same value and fallback counts the machine reported, and
// (c) are valid under g.ExportSchema() by an independent validator. The
// share valid under the original schema is logged.
func TestStrictWalkDocuments(t *testing.T) {
	const want = 200
	for _, name := range []string{"ours", "schemastore", "recall"} {
		t.Run(name, func(t *testing.T) {
			g, path := walkGrammar(t, name)
			src, _ := os.ReadFile(path)
			export := g.ExportSchema()
			if !json.Valid(export) {
				t.Fatalf("ExportSchema is not JSON")
			}
			exported := compileValidator(t, name+"-export", export)
			original := compileValidator(t, name, src)
			rng := rand.New(rand.NewPCG(42, uint64(len(name))))
			var (
				docs, attempts, deadEnds, capped                    int
				sumToks, sumBytes, maxToks, origValid, withFallback int
				maxDepth                                            int
				exportErrs, origErrs                                []string
			)
			for docs < want && attempts < 20*want {
				attempts++
				r := randomWalk(t, g, rng, walkOpts{strict: true, maxSteps: 3000})
				switch {
				case r.deadEnd:
					deadEnds++
					continue
				case !r.done:
					capped++
					continue
				}
				docs++
				doc := r.m.JSON()
				sumToks += len(r.toks)
				sumBytes += len(doc)
				maxToks = max(maxToks, len(r.toks))
				var sc depthScanner
				sc.feed(doc)
				maxDepth = max(maxDepth, sc.max)
				// (a)
				if !json.Valid(doc) || !utf8.Valid(doc) {
					t.Errorf("not valid JSON: %q", doc)
					continue
				}
				// (b)
				toks, st, err := g.Encode(nil, doc)
				if err != nil {
					t.Errorf("Encode: %v\n%s", err, doc)
					continue
				}
				out, consumed, err := g.Decode(toks)
				if err != nil || consumed != len(toks) || !bytes.Equal(out, doc) {
					t.Errorf("round trip: %q %d/%d %v\n in %s", out, consumed, len(toks), err, doc)
				}
				values, fallback := r.m.Stats()
				if st.Escapes != 0 || st.OffSchema != 0 || st.Values != values || st.Fallback != fallback {
					t.Errorf("stats %+v; machine values %d fallback %d\n%s", st, values, fallback, doc)
				}
				if st.Fallback > 0 {
					withFallback++
				}
				// (A walk may recall a line shorter than the encoder recalls.)
				if len(toks) > len(r.toks) && name != "recall" {
					t.Errorf("re-encoding is longer than the walk: %d > %d\n%s", len(toks), len(r.toks), doc)
				}
				// The re-encoding is itself a strict derivation.
				sm := g.NewMachine(true)
				for i, tok := range toks {
					if err := sm.Advance(tok); err != nil {
						t.Errorf("strict machine refuses the re-encoding at %d: %v\n%s", i, err, doc)
						break
					}
				}
				// (c)
				if err := validates(exported, doc); err != nil {
					if len(exportErrs) < 3 {
						exportErrs = append(exportErrs, fmt.Sprintf("%s\n%v", doc, err))
					}
				}
				if err := validates(original, doc); err == nil {
					origValid++
				} else if len(origErrs) < 2 {
					origErrs = append(origErrs, fmt.Sprintf("%.300s\n%.600v", doc, err))
				}
			}
			if docs < want {
				t.Errorf("only %d complete strict documents in %d attempts (%d dead ends, %d over the step cap)", docs, attempts, deadEnds, capped)
			}
			for _, e := range exportErrs {
				t.Errorf("strict document not valid under ExportSchema:\n%s", e)
			}
			if docs > 0 {
				t.Logf("%s: %d documents in %d attempts (%d dead ends, %d over 3000 steps); mean %.1f tokens (max %d), %.1f bytes, max depth %d; %d with untyped (fallback) values; valid under the original schema: %d/%d (%.1f%%)",
					name, docs, attempts, deadEnds, capped, float64(sumToks)/float64(docs), maxToks, float64(sumBytes)/float64(docs), maxDepth,
					withFallback, origValid, docs, 100*float64(origValid)/float64(docs))
				for _, e := range origErrs {
					t.Logf("example rejected by the original schema:\n%s", e)
				}
				// Our schema uses only what the grammar enforces (object
				// alternatives included): strict documents are valid under it.
				if name != "schemastore" && origValid != docs {
					t.Errorf("%d of %d strict documents are not valid under configs/workflow.schema.json", docs-origValid, docs)
				}
			}
		})
	}
}

// TestExportSchemaOnWorkflows: ExportSchema compiles, and hand-written
// workflows (which have their required keys) that encode without escapes
// or off-schema keys validate under it.
func TestExportSchemaOnWorkflows(t *testing.T) {
	docs := []string{
		`{"name":"CI","on":["push","pull_request"],"jobs":{"build":{"runs-on":"ubuntu-latest","steps":[{"uses":"actions/checkout@v4"},{"name":"Test","run":"go test ./..."}]}}}`,
		`{"on":{"push":{"branches":["main"]},"workflow_dispatch":{}},"permissions":{"contents":"read"},"jobs":{"a":{"runs-on":["self-hosted","linux"],"timeout-minutes":10,"steps":[{"run":"echo hi","shell":"bash"}]}}}`,
		`{"on":"push","env":{"A":"1"},"jobs":{"t":{"runs-on":"ubuntu-latest","strategy":{"matrix":{"go":["1.21","1.22"]}},"steps":[{"uses":"actions/setup-go@v5","with":{"go-version":"${{ matrix.go }}"}}]}}}`,
	}
	for _, name := range []string{"ours", "schemastore"} {
		t.Run(name, func(t *testing.T) {
			g := realGrammar(t, schemas[name])
			exported := compileValidator(t, name+"-export", g.ExportSchema())
			for _, d := range docs {
				toks, st, err := g.Encode(nil, []byte(d))
				if err != nil {
					t.Fatal(err)
				}
				out, n, err := g.Decode(toks)
				if err != nil || n != len(toks) || string(out) != d {
					t.Errorf("round trip %q %v", out, err)
				}
				err = validates(exported, []byte(d))
				t.Logf("%d bytes → %d tokens, %+v, export-valid: %v", len(d), len(toks), st, err == nil)
				if st.Escapes == 0 && st.OffSchema == 0 && err != nil {
					t.Errorf("encodes without escapes but is not valid under ExportSchema: %v\n%s", err, d)
				}
			}
		})
	}
}

// TestConcurrentMachines: machines over one grammar run concurrently (the
// grammar is shared read-only; run under -race to check).
func TestConcurrentMachines(t *testing.T) {
	g := realGrammar(t, schemas["schemastore"])
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(i), 99))
			for range 10 {
				r := randomWalk(t, g, rng, walkOpts{strict: i%2 == 0, maxSteps: 800})
				if r.done {
					if out, _, err := g.Decode(r.toks); err != nil || !bytes.Equal(out, r.m.JSON()) {
						t.Errorf("Decode: %v", err)
					}
				}
			}
		})
	}
}
