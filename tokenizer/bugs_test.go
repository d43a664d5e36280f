package tokenizer_test

// Failing tests for bugs found while testing the package (see the report
// that came with them). Each test states the input, the expected and the
// actual behaviour.

import (
	"errors"
	"strings"
	"testing"

	"github.com/tct-dev/tct/tokenizer"
)

// Strict mode must not lead a generator into a dead end: every token in
// Allowed() must leave a state from which the document can still be
// completed, so Allowed() is never empty before Done().
//
// With a patternProperties key pattern such as ^[a-z]+$ (SchemaStore's and
// our job ids use ^[_a-zA-Z][a-zA-Z0-9_-]*$) the strict machine allows any
// UTF-8 lead byte (0xC2..0xF4) as the next key byte, because the key
// matcher judges a partial rune by the bytes before it; once the rune is
// complete it matches no pattern and no continuation byte is allowed:
// Allowed() is empty and the walk is stuck. About a third of strict random
// walks over the real schemas end this way (see TestStrictWalkDocuments).
func TestBugStrictDeadEndAfterUTF8LeadInPatternKey(t *testing.T) {
	g := mustGrammar(t, `{"type":"object","patternProperties":{"^[a-z]+$":{"type":"integer"}},"additionalProperties":false}`)
	for _, prefix := range [][]Tok{nil, {'a'}} {
		m := g.NewMachine(true)
		for _, tok := range prefix {
			if err := m.Advance(tok); err != nil {
				t.Fatal(err)
			}
		}
		for _, lead := range []Tok{0xC3, 0xE2, 0xF0} {
			if !m.Allowed().Has(lead) {
				continue // not offered: fine
			}
			c := m.Clone()
			if err := c.Advance(lead); err != nil {
				t.Fatalf("lead byte %#x in Allowed but refused: %v", lead, err)
			}
			// Follow any allowed continuation bytes to the end of the rune.
			for c.Allowed().Count() > 0 && c.Allowed().Tokens()[0] >= 0x80 && c.Allowed().Tokens()[0] < 0xC0 {
				if err := c.Advance(c.Allowed().Tokens()[0]); err != nil {
					t.Fatal(err)
				}
			}
			if c.Allowed().Count() == 0 {
				t.Errorf("key prefix %q + lead byte %#x: the byte is in Allowed() but leaves no allowed token (dead end); "+
					"no key matching ^[a-z]+$ contains a non-ASCII character, so the byte must not be allowed", string(bytesOf(prefix)), lead)
			}
		}
	}
	// The same on the real schema: a job id under "jobs".
	g = realGrammar(t, schemas["ours"])
	m := g.NewMachine(true)
	jobs := -1
	for i, p := range g.Root().Props {
		if p.Name == "jobs" {
			jobs = i
		}
	}
	if jobs < 0 {
		t.Skip("no jobs property")
	}
	if err := m.Advance(kTok(jobs)); err != nil {
		t.Fatal(err)
	}
	if m.Allowed().Has(0xC3) {
		if err := m.Advance(0xC3); err != nil {
			t.Fatal(err)
		}
		if m.Allowed().Count() == 0 {
			t.Errorf(`ours: {"jobs":{ + byte 0xC3 as the first byte of a job id: allowed, then Allowed() is empty (dead end)`)
		}
	}
}

func bytesOf(toks []Tok) []byte {
	var b []byte
	for _, t := range toks {
		b = append(b, byte(t))
	}
	return b
}

// A constraint-only branch (`{"required":[...]}`) of allOf, or of an
// anyOf/oneOf whose every branch requires the key, must make the key
// required in the grammar (strict machines refuse END_OBJ before it, and
// ExportSchema lists it). schema.go's fill() marks a schema whose only
// keyword is `required` as `always` (no type, enum, object or array
// keyword: `required` does not set hasObject), and merge() then returns the
// other side unchanged, so the requirement is dropped.
func TestBugConstraintOnlyRequiredDropped(t *testing.T) {
	for _, schema := range []string{
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"allOf":[{"required":["a"]}]}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["a","b"]}]}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"anyOf":[{"required":["a"]}]}`,
	} {
		g := mustGrammar(t, schema)
		m := g.NewMachine(true)
		if m.Allowed().Has(tEO) || m.Clone().Advance(tEO) == nil {
			t.Errorf("%s\n  strict machine allows {} (END_OBJ before the required key a)", schema)
		}
		if !strings.Contains(string(g.ExportSchema()), `"required"`) {
			t.Errorf("%s\n  ExportSchema has no required keys", schema)
		}
	}
}

// Strict key checking must agree with the pattern semantics used
// everywhere else (grammar.go valueNodeForKey uses regexp.MatchString, an
// unanchored search, and so does any JSON Schema validator of the exported
// schema). keymatch.go newKeyMatcher (lines 18-23) decides the (?s:.*)
// padding from the pattern text: no left padding when it starts with "^",
// and (for such a pattern) no right padding when it ends with "$". Neither
// test says that the anchor applies to the whole pattern: in `^a|b` the
// "^" belongs to the first alternative only, so the strict machine refuses
// the key "xb" (which contains b); in `^a\$` the "$" is a literal dollar,
// so "a$x" is refused. Encode treats both keys as allowed (OffSchema 0).
// (Padding both sides always would be correct: ^ and $ are empty-width
// assertions the NFA already checks.)
func TestBugKeyMatcherAnchorHeuristic(t *testing.T) {
	for _, c := range []struct{ pattern, key string }{
		{`^a|b`, "xb"},
		{`^a|b$`, "xb"},
		{`^a\\$`, "a$x"},
	} {
		schema := `{"type":"object","patternProperties":{"` + c.pattern + `":{"type":"integer"}},"additionalProperties":false}`
		g := mustGrammar(t, schema)
		doc := `{"` + c.key + `":1}`
		_, st, err := g.Encode(nil, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if st.OffSchema != 0 {
			t.Fatalf("%s: Encode says off-schema: the premise does not hold", doc)
		}
		if err := validates(compileValidator(t, "km", g.ExportSchema()), []byte(doc)); err != nil {
			t.Fatalf("%s: not valid under ExportSchema: the premise does not hold: %v", doc, err)
		}
		m := g.NewMachine(true)
		var failed error
		for _, b := range []byte(c.key) {
			if failed = m.Advance(Tok(b)); failed != nil {
				break
			}
		}
		if failed == nil {
			failed = m.Advance(tEND)
		}
		if failed != nil {
			t.Errorf("pattern %s, key %q: Encode and the exported schema accept the key, the strict machine refuses it: %v", c.pattern, c.key, failed)
		}
	}
}

// DecodePrefix "decodes as far as the tokens go and returns the partial
// JSON text": on an invalid token it should return the text of the tokens
// before it. It also returns bytes written for the rejected token itself:
// machine.go writes ',' for a new array element (fArray, before pushing the
// element frame), '"' for a string start (stepValue) and '{' for an
// implicit object (startObject) before the nested step rejects the token,
// and Advance does not roll m.out back on error.
func TestBugDecodePrefixRejectedToken(t *testing.T) {
	g := mustGrammar(t, `{}`)
	for _, c := range []struct {
		toks []Tok
		want string
	}{
		{tokSeq(tARR, tNUM, "1", Tok(0xFF)), `[1`},
		{tokSeq(Tok(0xFF)), ``},
		{tokSeq(tARR, tTRUE, tEA, Tok(0xFF)), `[true]`}, // surplus: never read
	} {
		out, err := g.DecodePrefix(c.toks)
		if string(out) != c.want {
			t.Errorf("DecodePrefix(%v) = %q, %v; want %q", c.toks, out, err, c.want)
		}
	}
	g = mustGrammar(t, `{"type":"object","additionalProperties":{"type":"object"}}`)
	// {"k": then an invalid key byte of the implicit inner object
	toks := tokSeq("k", Tok(0xFF))
	out, err := g.DecodePrefix(toks)
	if err == nil || errors.Is(err, tokenizer.ErrTruncated) || string(out) != `{"k":` {
		t.Errorf("DecodePrefix(%v) = %q, %v; want %q and an error", toks, out, err, `{"k":`)
	}
}
