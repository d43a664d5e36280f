package tokenizer_test

// Fuzz targets: the round trip of arbitrary JSON against an independently
// computed canonical form, and the decoder on arbitrary token sequences.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// canonicalJSON is the canonical form of a valid JSON text, computed
// independently of the package: compact, object keys in document order,
// numbers as written, strings with minimal escaping (`"`, `\` and control
// characters; \b \f \n \r \t short forms, others \u00xx), everything else
// raw UTF-8. It also returns the number of values (keys excluded).
func canonicalJSON(in []byte) ([]byte, int, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	type ctx struct {
		obj bool
		n   int
	}
	var stack []ctx
	var out []byte
	values := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out = append(out, byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		isKey := false
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			switch {
			case top.obj && top.n%2 == 0:
				isKey = true
				if top.n > 0 {
					out = append(out, ',')
				}
			case top.obj:
				out = append(out, ':')
			case top.n > 0:
				out = append(out, ',')
			}
			top.n++
		}
		if !isKey {
			values++
		}
		switch v := tok.(type) {
		case json.Delim:
			out = append(out, byte(v))
			stack = append(stack, ctx{obj: v == '{'})
		case string:
			out = appendMinimalString(out, v)
		case json.Number:
			out = append(out, v...)
		case bool:
			out = fmt.Append(out, v)
		case nil:
			out = append(out, "null"...)
		default:
			return nil, 0, fmt.Errorf("unexpected token %T", tok)
		}
	}
	return out, values, nil
}

func appendMinimalString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\b':
			b = append(b, `\b`...)
		case c == '\f':
			b = append(b, `\f`...)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func TestCanonicalJSONHelper(t *testing.T) {
	for in, want := range map[string]string{
		` { "b" : [ 1.50 , -0, 1E5 ] , "a" : "\u00e9\/\"\u0001\ud83d\ude00" , "a":null}`: `{"b":[1.50,-0,1E5],"a":"é/\"\u0001😀","a":null}`,
		`"\ud800x"`: `"` + "\uFFFD" + `x"`,
		`[[],{}]`:   `[[],{}]`,
	} {
		got, _, err := canonicalJSON([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("canonicalJSON(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
}

// fuzzGrammars are the grammars the fuzz targets run under.
func fuzzGrammars(t testing.TB) map[string]*tokenizer.Grammar {
	return map[string]*tokenizer.Grammar{
		"ours":        realGrammar(t, schemas["ours"]),
		"schemastore": realGrammar(t, schemas["schemastore"]),
		"types":       mustGrammar(t, tableSchemas[3].schema),
		"tree":        mustGrammar(t, tableSchemas[5].schema),
		"pattern":     mustGrammar(t, tableSchemas[6].schema),
		"recall":      recallGrammar(t, 3),
	}
}

// recallGrammar is our schema with a few recall slots per string node.
func recallGrammar(t testing.TB, slots int) *tokenizer.Grammar {
	t.Helper()
	g, err := tokenizer.CompileSchemaDict(configs.WorkflowSchema, &tokenizer.Dictionary{Recall: slots})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var fuzzSeedDocs = []string{
	`{"name":"CI","on":["push","pull_request"],"jobs":{"build":{"runs-on":"ubuntu-latest","steps":[{"uses":"actions/checkout@v4"},{"name":"Test","run":"go test ./...\nmake"}]}}}`,
	`{"on":{"push":{"branches":["main","release/**"]},"schedule":[{"cron":"0 0 * * 1"}],"workflow_dispatch":{"inputs":{"debug":{"type":"boolean","default":false}}}},"jobs":{"a":{"runs-on":["self-hosted","linux"],"timeout-minutes":10.5,"continue-on-error":true,"steps":[{"run":"echo \"hi\"\t\u0001","shell":"bash"}]}}}`,
	`{"on":"push","env":{"A":"1","B":2,"C":null},"jobs":{"t":{"runs-on":"${{ matrix.os }}","strategy":{"matrix":{"os":["ubuntu-latest","windows-latest"],"go":[1.21,"1.22"],"include":[{"os":"macos-latest","go":1e3}]}},"steps":[{"uses":"actions/setup-go@v5","with":{"go-version":"${{ matrix.go }}"}}]}}}`,
	`{"value":1,"children":[{"value":2},{"value":-3,"children":[]}],"x-extra":{"é":[true,false,null]}}`,
	` [ 1 , "a" , { } , [ ] , -0.0e-0 , "\ud83d\ude00\u00e9\/" ] `,
	`{"sn":"q","is":42,"i":1.5,"f":-2E+3,"bo":"yes","os":{"k":[1,{}]},"ai":[1,2],"x-a":1}`,
	`"plain"`, `0`, `true`, `null`, `{}`, `[]`, `{"a":1,"a":2}`, `{"":""}`,
	`{"jobs":{"j":{"steps":[{"run":"x","uses":"y","with":{"a":{"b":{"c":[[["deep"]]]}}}}]}}}`,
	// repeated values and lines (recall)
	`{"on":"push","jobs":{"a":{"runs-on":"x","steps":[{"name":"n","run":"apt-get update\nmake all\n"},{"name":"n","run":"apt-get update\nmake all\n"},{"run":"cd x\nmake all\napt-get update\n"},{"run":"a\nb\nc\nd\n"},{"run":"q"},{"run":"r"},{"run":"a\nb\nc\nd\n"}]},"b":{"env":{"K":"1","L":"2"},"steps":[]},"c":{"env":{"L":"3","K":"4","M":"5"}}}}`,
	// not JSON
	`{"a":}`, `[1,]`, `{"a" 1}`, `"\x"`, `01`, `1.`, `-`, `tru`, `{"a":1}x`, "\"\xff\"", `"\u12"`, "[\"a\nb\"]",
}

// FuzzRoundTrip: for arbitrary bytes that are valid JSON (and UTF-8, and
// nested less than Encode's depth bound), Encode succeeds under every
// grammar and Decode gives back exactly the canonical form, consuming every
// token, with the value count of the input; bytes that are not JSON are an
// ErrSyntax error. DecodePrefix of a prefix of the tokens is a prefix of
// the document, and the machine counts the same values and fallbacks.
func FuzzRoundTrip(f *testing.F) {
	for _, d := range fuzzSeedDocs {
		f.Add([]byte(d))
	}
	grammars := fuzzGrammars(f)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range grammars {
			if !yield(k) {
				return
			}
		}
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		valid := json.Valid(data)
		var canon []byte
		var values int
		deep := false
		if valid {
			var err error
			if canon, values, err = canonicalJSON(data); err != nil {
				t.Fatalf("canonicalJSON of valid JSON: %v", err)
			}
			var sc depthScanner
			sc.feed(canon)
			deep = sc.max >= 500
		}
		for _, name := range names {
			g := grammars[name]
			toks, st, err := g.Encode(nil, data)
			if !valid {
				if err == nil {
					t.Fatalf("%s: Encode accepts invalid JSON %q: %v", name, data, toks)
				}
				if !errors.Is(err, tokenizer.ErrSyntax) {
					t.Fatalf("%s: Encode error does not wrap ErrSyntax: %v", name, err)
				}
				continue
			}
			if err != nil {
				if utf8.Valid(data) && !deep {
					t.Fatalf("%s: Encode refuses valid JSON %q: %v", name, data, err)
				}
				continue
			}
			out, consumed, err := g.Decode(toks)
			if err != nil || consumed != len(toks) {
				t.Fatalf("%s: Decode(Encode(%q)): %v, consumed %d/%d", name, data, err, consumed, len(toks))
			}
			if !bytes.Equal(out, canon) {
				t.Fatalf("%s: round trip of %q\n got %q\nwant %q", name, data, out, canon)
			}
			if st.Values != values {
				t.Fatalf("%s: Stats.Values %d, the document has %d values: %q", name, st.Values, values, data)
			}
			if st.Escapes > st.Fallback || st.OffSchema > st.OtherKeys || st.Fallback > st.Values {
				t.Fatalf("%s: inconsistent stats %+v", name, st)
			}
			m := g.NewMachine(false)
			for _, tok := range toks {
				if err := m.Advance(tok); err != nil {
					t.Fatalf("%s: Advance: %v", name, err)
				}
			}
			if v, fb := m.Stats(); v != st.Values || fb != st.Fallback {
				t.Fatalf("%s: machine counts values %d fallback %d, encoder %+v", name, v, fb, st)
			}
			half := len(toks) / 2
			if p, err := g.DecodePrefix(toks[:half]); err != nil || !bytes.HasPrefix(out, p) {
				t.Fatalf("%s: DecodePrefix(toks[:%d]) = %q, %v; not a prefix of %q", name, half, p, err, out)
			}
			// The canonical form encodes to the same tokens when the input
			// is canonical, else to no more tokens (an enum value matches
			// only in canonical spelling).
			toks2, st2, err := g.Encode(nil, canon)
			if err != nil || len(toks2) > len(toks) || bytes.Equal(data, canon) && (!slices.Equal(toks, toks2) || st != st2) {
				t.Fatalf("%s: the canonical form %q encodes to %v (%v); the input to %v", name, canon, toks2, err, toks)
			}
		}
	})
}

// tokensFromBytes reads big-endian uint16s, modulo the alphabet size + 10
// (so a few out-of-alphabet tokens occur too).
func tokensFromBytes(g *tokenizer.Grammar, data []byte) []Tok {
	toks := make([]Tok, 0, len(data)/2)
	for i := 0; i+1 < len(data); i += 2 {
		toks = append(toks, Tok(int(binary.BigEndian.Uint16(data[i:]))%(g.Size+10)))
	}
	return toks
}

func bytesFromTokens(toks []Tok) []byte {
	b := make([]byte, 0, 2*len(toks))
	for _, t := range toks {
		b = binary.BigEndian.AppendUint16(b, uint16(t))
	}
	return b
}

// FuzzDecode: arbitrary token sequences never make Decode, DecodePrefix,
// Describe or a strict machine panic. Along the sequence Allowed() agrees
// with Advance (strict and non-strict). When Decode succeeds its output is
// valid, already canonical JSON; re-encoding it succeeds, decodes back to
// the same bytes, is stable, and is no longer than the decoded tokens.
func FuzzDecode(f *testing.F) {
	grammars := fuzzGrammars(f)
	for _, d := range fuzzSeedDocs {
		if toks, _, err := grammars["ours"].Encode(nil, []byte(d)); err == nil {
			f.Add(bytesFromTokens(toks))
		}
	}
	f.Add([]byte{})
	f.Add(bytesFromTokens([]Tok{tESC, tOBJ, 'a', tEND, tARR, tEA, tEO, tEND}))
	names := []string{"ours", "schemastore", "types", "tree", "pattern", "recall"}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range names {
			g := grammars[name]
			toks := tokensFromBytes(g, data)
			out, consumed, err := g.Decode(toks)
			prefix, perr := g.DecodePrefix(toks)
			derr := g.Describe(io.Discard, toks)
			if consumed < 0 || consumed > len(toks) {
				t.Fatalf("%s: consumed %d of %d", name, consumed, len(toks))
			}
			truncated := errors.Is(err, tokenizer.ErrTruncated)
			if (derr != nil) != (err != nil && !truncated) {
				t.Fatalf("%s: Describe error %v, Decode error %v", name, derr, err)
			}
			if (perr != nil) != (err != nil && !truncated) {
				t.Fatalf("%s: DecodePrefix error %v, Decode error %v", name, perr, err)
			}
			if truncated && consumed != len(toks) {
				t.Fatalf("%s: truncated but consumed %d of %d", name, consumed, len(toks))
			}
			checkAllowedAlong(t, g, toks[:min(len(toks), 128)])
			if err != nil {
				continue
			}
			if !bytes.Equal(prefix, out) {
				t.Fatalf("%s: DecodePrefix %q, Decode %q", name, prefix, out)
			}
			if !json.Valid(out) || !utf8.Valid(out) {
				t.Fatalf("%s: Decode output is not valid JSON: %q", name, out)
			}
			canon, _, cerr := canonicalJSON(out)
			if cerr != nil || !bytes.Equal(canon, out) {
				t.Fatalf("%s: Decode output is not canonical:\n got %q\nwant %q", name, out, canon)
			}
			// The strict machine, where it accepts the tokens, decodes the same.
			sm := g.NewMachine(true)
			ok := true
			for _, tok := range toks[:consumed] {
				if sm.Advance(tok) != nil {
					ok = false
					break
				}
			}
			if ok && (!sm.Done() || !bytes.Equal(sm.JSON(), out)) {
				t.Fatalf("%s: strict machine accepts the tokens but gives %q (done %v), non-strict %q", name, sm.JSON(), sm.Done(), out)
			}
			var sc depthScanner
			sc.feed(out)
			toks2, _, err := g.Encode(nil, out)
			if err != nil {
				if sc.max >= 500 {
					continue // Encode's nesting bound (see the report)
				}
				t.Fatalf("%s: Encode(Decode(x)) of %q: %v", name, out, err)
			}
			out2, consumed2, err := g.Decode(toks2)
			if err != nil || consumed2 != len(toks2) || !bytes.Equal(out2, out) {
				t.Fatalf("%s: re-encoded %q decodes to %q, %d/%d, %v", name, out, out2, consumed2, len(toks2), err)
			}
			if len(toks2) > consumed {
				t.Fatalf("%s: the encoder's tokens for %q are longer (%d) than the decoded ones (%d): %v vs %v", name, out, len(toks2), consumed, toks2, toks[:consumed])
			}
			toks3, _, err := g.Encode(nil, out2)
			if err != nil || !slices.Equal(toks2, toks3) {
				t.Fatalf("%s: encoding is not stable: %v vs %v", name, toks2, toks3)
			}
		}
	})
}

// checkAllowedAlong checks, at every position of toks while the machines
// accept them, that Allowed().Has(t) agrees with Advance(t) on a clone for
// the actual next token and for a few others.
func checkAllowedAlong(t *testing.T, g *tokenizer.Grammar, toks []Tok) {
	t.Helper()
	for _, strict := range []bool{false, true} {
		m := g.NewMachine(strict)
		for i, tok := range toks {
			a := m.Allowed()
			for _, probe := range []Tok{tok, tEND, tEO, tEA, tESC, Tok(i * 37 % (g.Size + 10))} {
				err := m.Clone().Advance(probe)
				if a.Has(probe) != (err == nil) {
					t.Fatalf("strict=%v after %v: Allowed().Has(%d)=%v but Advance error %v", strict, toks[:i], probe, a.Has(probe), err)
				}
			}
			if m.Advance(tok) != nil || m.Done() {
				break
			}
		}
	}
}

// FuzzDecodeIDs: arbitrary content-id sequences under the shipped tokenizer
// (merge classes: an id means what the table of its state says) never make
// Decode, DecodePrefix, Explain or AllowedIDs panic; their errors agree;
// AllowedIDs agrees with Advance for the next id along the sequence; and a
// decoded document encodes back to ids that decode to the same bytes.
func FuzzDecodeIDs(f *testing.F) {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		f.Fatal(err)
	}
	enc := tok.NewEncoder()
	for _, d := range fuzzSeedDocs {
		if ids, _, err := enc.Encode(nil, []byte(d)); err == nil {
			b := make([]byte, 0, 2*len(ids))
			for _, id := range ids {
				b = binary.BigEndian.AppendUint16(b, uint16(id))
			}
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ids := make([]int32, 0, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			ids = append(ids, int32(int(binary.BigEndian.Uint16(data[i:]))%(tok.Layout.Content+20)))
		}
		out, consumed, err := tok.Decode(ids)
		prefix, perr := tok.DecodePrefix(ids)
		xerr := tok.Explain(io.Discard, ids)
		if consumed < 0 || consumed > len(ids) {
			t.Fatalf("consumed %d of %d", consumed, len(ids))
		}
		truncated := errors.Is(err, tokenizer.ErrTruncated)
		if (perr != nil) != (err != nil && !truncated) {
			t.Fatalf("DecodePrefix error %v, Decode error %v", perr, err)
		}
		if (xerr != nil) != (err != nil && !truncated) {
			t.Fatalf("Explain error %v, Decode error %v", xerr, err)
		}
		m := tok.Grammar.NewMachine(false)
		for _, id := range ids[:min(len(ids), 24)] {
			allowed := tok.AllowedIDs(m).Has(tokenizer.Token(id))
			if ok := tok.Advance(m.Clone(), id) == nil; ok != allowed {
				t.Fatalf("id %d: AllowedIDs %v, Advance ok %v", id, allowed, ok)
			}
			if tok.Advance(m, id) != nil || m.Done() {
				break
			}
		}
		if err != nil {
			return
		}
		if !bytes.Equal(prefix, out) || !json.Valid(out) {
			t.Fatalf("Decode %q, DecodePrefix %q", out, prefix)
		}
		again, _, err := enc.Encode(nil, out)
		if err != nil {
			var sc depthScanner
			if sc.feed(out); sc.max >= 500 {
				return // Encode's nesting bound
			}
			t.Fatalf("Encode(Decode(x)) of %q: %v", out, err)
		}
		out2, n2, err := tok.Decode(again)
		if err != nil || n2 != len(again) || !bytes.Equal(out2, out) {
			t.Fatalf("re-encoded %q decodes to %q (%d of %d ids, %v)", out, out2, n2, len(again), err)
		}
	})
}

// FuzzTokenizerRoundTrip: any JSON document, encoded with the shipped
// tokenizer (merge classes × lexical states: the table of every id depends
// on the grammar state and the byte before it), decodes to its canonical
// form, with every id in the content range.
func FuzzTokenizerRoundTrip(f *testing.F) {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range fuzzSeedDocs {
		f.Add([]byte(d))
	}
	enc := tok.NewEncoder()
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		canon, _, err := canonicalJSON(data)
		if err != nil {
			t.Fatalf("canonicalJSON of valid JSON: %v", err)
		}
		ids, _, err := enc.Encode(nil, data)
		if err != nil {
			var sc depthScanner
			if sc.feed(canon); sc.max >= 500 || !utf8.Valid(data) {
				return // Encode's nesting bound, or text that is not UTF-8
			}
			t.Fatalf("Encode(%q): %v", data, err)
		}
		for _, id := range ids {
			if id < 0 || int(id) >= tok.Layout.Content {
				t.Fatalf("id %d outside [0, %d)", id, tok.Layout.Content)
			}
		}
		out, n, err := tok.Decode(ids)
		if err != nil || n != len(ids) || !bytes.Equal(out, canon) {
			t.Fatalf("round trip of %q: %q (%d of %d ids, %v); want %q", data, out, n, len(ids), err, canon)
		}
	})
}
