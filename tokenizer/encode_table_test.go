package tokenizer_test

// Table tests on small hand-written schemas: the exact base-token sequence
// and Stats the design promises, the round trip, and Decode's error handling
// (truncated, surplus and invalid token sequences).

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tct-dev/tct/tokenizer"
)

type Tok = tokenizer.Token

// Shorthands for building expected token sequences.
const (
	tEND  = tokenizer.TokEnd
	tEO   = tokenizer.TokEndObj
	tEA   = tokenizer.TokEndArr
	tESC  = tokenizer.TokEsc
	tOBJ  = tokenizer.TokObj
	tARR  = tokenizer.TokArr
	tNUM  = tokenizer.TokNum
	tTRUE = tokenizer.TokTrue
	tFALS = tokenizer.TokFalse
	tNULL = tokenizer.TokNull
)

// tokSeq flattens its arguments into a token sequence: a Token is itself, a
// string is its bytes followed by END (a string/key/number body).
func tokSeq(parts ...any) []Tok {
	var out []Tok
	for _, p := range parts {
		switch x := p.(type) {
		case Tok:
			out = append(out, x)
		case int:
			out = append(out, Tok(x))
		case string:
			for i := 0; i < len(x); i++ {
				out = append(out, Tok(x[i]))
			}
			out = append(out, tEND)
		case []Tok:
			out = append(out, x...)
		default:
			panic(fmt.Sprintf("tokSeq: %T", p))
		}
	}
	return out
}

func kTok(i int) Tok                       { return tokenizer.KeyBase + Tok(i) }
func eTok(g *tokenizer.Grammar, i int) Tok { return g.EnumBase + Tok(i) }

func mustGrammar(t testing.TB, schema string) *tokenizer.Grammar {
	t.Helper()
	g, err := tokenizer.CompileSchema([]byte(schema))
	if err != nil {
		t.Fatalf("CompileSchema: %v\n%s", err, schema)
	}
	return g
}

type encCase struct {
	doc   string
	want  func(g *tokenizer.Grammar) []Tok
	stats tokenizer.Stats
	out   string // expected Decode output when not the doc itself
}

type schemaCase struct {
	name   string
	schema string
	docs   []encCase
}

var tableSchemas = []schemaCase{
	{
		name:   "enum-vs-free-string",
		schema: `{"type":"object","properties":{"x":{"anyOf":[{"enum":["a","b"]},{"type":"string"}]}},"additionalProperties":false}`,
		docs: []encCase{
			{`{"x":"a"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), eTok(g, 0), tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"x":"b"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), eTok(g, 1), tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"x":"zz"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "zz", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"x":"ab"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "ab", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"x":""}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"x":"a\"\\\n\u0001é"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "a\"\\\n\x01é", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			// A non-canonical spelling of the enum value is not the enum
			// token; it is spelled out and decodes canonically.
			{`{"x":"\u0061"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "a", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, `{"x":"a"}`},
			{`{}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tEO) }, tokenizer.Stats{Values: 1}, ""},
			{` { "x" : "a" } `, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), eTok(g, 0), tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, `{"x":"a"}`},
		},
	},
	{
		// `on` is an enum: {"on":"push"} is KEY on, ENUM push, END_OBJ
		// (the root object is implicit: the root admits no string or number).
		name:   "workflow-like",
		schema: `{"type":"object","properties":{"on":{"enum":["push","pull_request"]},"name":{"type":"string"}},"required":["on"]}`,
		docs: []encCase{
			{`{"on":"push"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), eTok(g, 0), tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"name":"ci","on":"pull_request"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "ci", kTok(1), eTok(g, 1), tEO) }, tokenizer.Stats{Values: 3, KnownKeys: 2}, ""},
			// Not in the enum and no free type: ESC, then a generic string.
			{`{"on":"fork"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), tESC, "fork", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
			// Required keys are not enforced by Encode (non-strict).
			{`{"name":"x"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "x", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			// No additionalProperties: other keys are allowed, their values untyped (fallback).
			{`{"zz":1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("zz", tNUM, "1", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, OtherKeys: 1}, ""},
		},
	},
	{
		// Props sorted: n(0), o(1), v(2); each const is its node's ENUM slot 0.
		name:   "const",
		schema: `{"type":"object","properties":{"v":{"const":"1.0"},"n":{"const":42},"o":{"const":{"b":1,"a":[true,null]}}}}`,
		docs: []encCase{
			{`{"n":42}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), eTok(g, 0), tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"v":"1.0"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(2), eTok(g, 0), tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			// The const object in canonical (sorted-key) form is one token.
			{`{"o":{"a":[true,null],"b":1}}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), eTok(g, 0), tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			// In another key order it takes the fallback, losslessly.
			{`{"o":{"b":1,"a":[true,null]}}`, func(g *tokenizer.Grammar) []Tok {
				return tokSeq(kTok(1), tESC, tOBJ, "b", tNUM, "1", "a", tARR, tTRUE, tNULL, tEA, tEO, tEO)
			}, tokenizer.Stats{Values: 6, Fallback: 5, Escapes: 1, KnownKeys: 1, OtherKeys: 2}, ""},
			{`{"n":43}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), tESC, tNUM, "43", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
			{`{"v":1.0}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(2), tESC, tNUM, "1.0", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
		},
	},
	{
		// Props sorted: ai(0), bo(1), f(2), i(3), is(4), os(5), sn(6).
		name: "types",
		schema: `{"type":"object","properties":{"sn":{"type":["string","null"]},"is":{"type":["integer","string"]},"i":{"type":"integer"},
			"f":{"type":"number"},"bo":{"type":"boolean"},"os":{"type":["object","string"]},"ai":{"type":"array","items":{"type":"integer"}}}}`,
		docs: []encCase{
			{`{"sn":null}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(6), tNULL, tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"sn":"q"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(6), "q", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			// A number where a string could also start needs the NUM head.
			{`{"is":42}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(4), tNUM, "42", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"is":"42"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(4), "42", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			// Integer-only: the number starts with its first byte.
			{`{"i":-7}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(3), "-7", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"i":0}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(3), "0", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			// A float at an integer-only position: ESC, then a generic number.
			{`{"i":1.5}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(3), tESC, tNUM, "1.5", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
			{`{"i":1e3}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(3), tESC, tNUM, "1e3", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
			{`{"i":2.0}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(3), tESC, tNUM, "2.0", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
			{`{"f":-1.5E-3}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(2), "-1.5E-3", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"f":7}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(2), "7", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"bo":true}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), tTRUE, tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"bo":false}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), tFALS, tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"bo":null}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), tESC, tNULL, tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
			{`{"bo":"yes"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), tESC, "yes", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
			// An object where a string could also start needs the OBJ head.
			{`{"os":{}}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(5), tOBJ, tEO, tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"os":{"k":"v"}}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(5), tOBJ, "k", "v", tEO, tEO) }, tokenizer.Stats{Values: 3, Fallback: 1, KnownKeys: 1, OtherKeys: 1}, ""},
			{`{"os":"s"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(5), "s", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"ai":[1,-2]}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), tARR, "1", "-2", tEA, tEO) }, tokenizer.Stats{Values: 4, KnownKeys: 1}, ""},
			{`{"ai":[]}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), tARR, tEA, tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"ai":[1,"x",[]]}`, func(g *tokenizer.Grammar) []Tok {
				return tokSeq(kTok(0), tARR, "1", tESC, "x", tESC, tARR, tEA, tEA, tEO)
			}, tokenizer.Stats{Values: 5, Fallback: 2, Escapes: 2, KnownKeys: 1}, ""},
		},
	},
	{
		name:   "top-level-scalars",
		schema: `{"anyOf":[{"type":["boolean","null"]},{"enum":["a",1]}]}`,
		docs: []encCase{
			{`true`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tTRUE) }, tokenizer.Stats{Values: 1}, ""},
			{`false`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tFALS) }, tokenizer.Stats{Values: 1}, ""},
			{`null`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tNULL) }, tokenizer.Stats{Values: 1}, ""},
			{`"a"`, func(g *tokenizer.Grammar) []Tok { return tokSeq(eTok(g, 0)) }, tokenizer.Stats{Values: 1}, ""},
			{`1`, func(g *tokenizer.Grammar) []Tok { return tokSeq(eTok(g, 1)) }, tokenizer.Stats{Values: 1}, ""},
			{`2`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tESC, tNUM, "2") }, tokenizer.Stats{Values: 1, Fallback: 1, Escapes: 1}, ""},
			{`{"a":[]}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tESC, tOBJ, "a", tARR, tEA, tEO) }, tokenizer.Stats{Values: 2, Fallback: 2, Escapes: 1, OtherKeys: 1}, ""},
		},
	},
	{
		// A recursive tree through $ref. Props sorted: children(0), value(1).
		name: "ref-tree",
		schema: `{"$ref":"#/definitions/tree","definitions":{"tree":{"type":"object","properties":{"value":{"type":"integer"},
			"children":{"type":"array","items":{"$ref":"#/definitions/tree"}}},"required":["value"],"additionalProperties":false}}}`,
		docs: []encCase{
			{`{"value":1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), "1", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"value":1,"children":[{"value":2},{"value":3,"children":[]}]}`, func(g *tokenizer.Grammar) []Tok {
				return tokSeq(kTok(1), "1", kTok(0), tARR,
					kTok(1), "2", tEO,
					kTok(1), "3", kTok(0), tARR, tEA, tEO,
					tEA, tEO)
			}, tokenizer.Stats{Values: 8, KnownKeys: 5}, ""},
			{`{"children":[{"children":[{"children":[{}]}]}]}`, func(g *tokenizer.Grammar) []Tok {
				return tokSeq(kTok(0), tARR, kTok(0), tARR, kTok(0), tARR, tEO, tEA, tEO, tEA, tEO, tEA, tEO)
			}, tokenizer.Stats{Values: 7, KnownKeys: 3}, ""},
			{`{"value":1,"extra":true}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), "1", "extra", tTRUE, tEO) },
				tokenizer.Stats{Values: 3, Fallback: 1, KnownKeys: 1, OtherKeys: 1, OffSchema: 1}, ""},
		},
	},
	{
		// Props: name(0); other keys only by pattern.
		name:   "patternProperties",
		schema: `{"type":"object","properties":{"name":{"type":"string"}},"patternProperties":{"^x-":{"type":"integer"}},"additionalProperties":false}`,
		docs: []encCase{
			{`{"name":"n","x-a":1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "n", "x-a", "1", tEO) }, tokenizer.Stats{Values: 3, KnownKeys: 1, OtherKeys: 1}, ""},
			{`{"x-":-0}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("x-", "-0", tEO) }, tokenizer.Stats{Values: 2, OtherKeys: 1}, ""},
			{`{"x-a":"s"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("x-a", tESC, "s", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, OtherKeys: 1}, ""},
			{`{"y":1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("y", tNUM, "1", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, OtherKeys: 1, OffSchema: 1}, ""},
			// A key equal to a known property is the KEY token even if a pattern matches.
			{`{"":1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("", tNUM, "1", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, OtherKeys: 1, OffSchema: 1}, ""},
		},
	},
	{
		// Props: a(0).
		name:   "additionalProperties-false",
		schema: `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`,
		docs: []encCase{
			{`{"a":"x","b":true}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "x", "b", tTRUE, tEO) },
				tokenizer.Stats{Values: 3, Fallback: 1, KnownKeys: 1, OtherKeys: 1, OffSchema: 1}, ""},
			// Keys below an off-schema key are untyped, not off-schema.
			{`{"b":{"c":[1]}}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("b", tOBJ, "c", tARR, tNUM, "1", tEA, tEO, tEO) },
				tokenizer.Stats{Values: 4, Fallback: 3, OtherKeys: 2, OffSchema: 1}, ""},
			// Duplicate keys are kept, in order.
			{`{"a":"1","a":"2"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "1", kTok(0), "2", tEO) }, tokenizer.Stats{Values: 3, KnownKeys: 2}, ""},
			{`{"é\u0000":null}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("é\x00", tNULL, tEO) },
				tokenizer.Stats{Values: 2, Fallback: 1, OtherKeys: 1, OffSchema: 1}, ""},
		},
	},
	{
		name:   "additionalProperties-schema",
		schema: `{"type":"object","additionalProperties":{"type":"integer"}}`,
		docs: []encCase{
			{`{"k":5,"j":-1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("k", "5", "j", "-1", tEO) }, tokenizer.Stats{Values: 3, OtherKeys: 2}, ""},
			{`{"k":"5"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("k", tESC, "5", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, OtherKeys: 1}, ""},
		},
	},
	{
		// Props: a(0), b(1).
		name:   "required",
		schema: `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"boolean"}},"required":["a"]}`,
		docs: []encCase{
			{`{"a":"x","b":false}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "x", kTok(1), tFALS, tEO) }, tokenizer.Stats{Values: 3, KnownKeys: 2}, ""},
			{`{"b":true}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), tTRUE, tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
		},
	},
	{
		// Constraint-only oneOf branches keep the object closed and typed.
		// Props: name(0), run(1), uses(2).
		name: "oneOf-constraint-only",
		schema: `{"type":"object","properties":{"uses":{"type":"string"},"run":{"type":"string"},"name":{"type":"string"}},
			"additionalProperties":false,"oneOf":[{"required":["uses"]},{"required":["run"]}]}`,
		docs: []encCase{
			{`{"name":"n","run":"r"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "n", kTok(1), "r", tEO) }, tokenizer.Stats{Values: 3, KnownKeys: 2}, ""},
			{`{"uses":"u"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(2), "u", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"zz":1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("zz", tNUM, "1", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, OtherKeys: 1, OffSchema: 1}, ""},
		},
	},
	{
		// oneOf of object branches: their properties are merged. Props: a(0), b(1).
		name:   "oneOf-object-branches",
		schema: `{"type":"object","oneOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]},{"properties":{"b":{"type":"string"}},"required":["b"]}]}`,
		docs: []encCase{
			{`{"a":1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "1", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"b":"x"}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), "x", tEO) }, tokenizer.Stats{Values: 2, KnownKeys: 1}, ""},
			{`{"c":1}`, func(g *tokenizer.Grammar) []Tok { return tokSeq("c", tNUM, "1", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, OtherKeys: 1}, ""},
		},
	},
	{
		// allOf merges properties. Props: a(0), b(1).
		name:   "allOf-object",
		schema: `{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"properties":{"b":{"type":"integer"}},"required":["b"]}]}`,
		docs: []encCase{
			{`{"a":"s","b":2}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(0), "s", kTok(1), "2", tEO) }, tokenizer.Stats{Values: 3, KnownKeys: 2}, ""},
			{`{"b":2.5}`, func(g *tokenizer.Grammar) []Tok { return tokSeq(kTok(1), tESC, tNUM, "2.5", tEO) }, tokenizer.Stats{Values: 2, Fallback: 1, Escapes: 1, KnownKeys: 1}, ""},
		},
	},
	{
		// allOf of type lists: [integer,string] ∩ [number,null] = integer.
		name:   "allOf-types",
		schema: `{"allOf":[{"type":["integer","string"]},{"type":["number","null"]}]}`,
		docs: []encCase{
			{`5`, func(g *tokenizer.Grammar) []Tok { return tokSeq("5") }, tokenizer.Stats{Values: 1}, ""},
			{`1.5`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tESC, tNUM, "1.5") }, tokenizer.Stats{Values: 1, Fallback: 1, Escapes: 1}, ""},
			{`"s"`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tESC, "s") }, tokenizer.Stats{Values: 1, Fallback: 1, Escapes: 1}, ""},
			{`null`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tESC, tNULL) }, tokenizer.Stats{Values: 1, Fallback: 1, Escapes: 1}, ""},
		},
	},
	{
		// allOf of enums: the intersection, in the first enum's order.
		name:   "allOf-enums",
		schema: `{"allOf":[{"enum":["a","b","c"]},{"enum":["c","b","d"]}]}`,
		docs: []encCase{
			{`"b"`, func(g *tokenizer.Grammar) []Tok { return tokSeq(eTok(g, 0)) }, tokenizer.Stats{Values: 1}, ""},
			{`"c"`, func(g *tokenizer.Grammar) []Tok { return tokSeq(eTok(g, 1)) }, tokenizer.Stats{Values: 1}, ""},
			{`"a"`, func(g *tokenizer.Grammar) []Tok { return tokSeq(tESC, "a") }, tokenizer.Stats{Values: 1, Fallback: 1, Escapes: 1}, ""},
		},
	},
	{
		// An untyped schema: everything is generic and counted as fallback.
		name:   "any",
		schema: `{}`,
		docs: []encCase{
			{`{"a":[1,"x",{"b":null}]}`, func(g *tokenizer.Grammar) []Tok {
				return tokSeq(tOBJ, "a", tARR, tNUM, "1", "x", tOBJ, "b", tNULL, tEO, tEA, tEO)
			}, tokenizer.Stats{Values: 6, Fallback: 6, OtherKeys: 2}, ""},
			{`"s"`, func(g *tokenizer.Grammar) []Tok { return tokSeq("s") }, tokenizer.Stats{Values: 1, Fallback: 1}, ""},
		},
	},
}

// TestEncodeTable checks the exact tokens and Stats of each case, the round
// trip, and that the decoding machine counts the same values and fallbacks.
func TestEncodeTable(t *testing.T) {
	for _, sc := range tableSchemas {
		t.Run(sc.name, func(t *testing.T) {
			g := mustGrammar(t, sc.schema)
			for _, c := range sc.docs {
				toks, st, err := g.Encode(nil, []byte(c.doc))
				if err != nil {
					t.Errorf("%s: Encode: %v", c.doc, err)
					continue
				}
				want := c.want(g)
				if !slices.Equal(toks, want) {
					t.Errorf("%s: tokens\n got %v\nwant %v", c.doc, toks, want)
				}
				if st != c.stats {
					t.Errorf("%s: stats\n got %+v\nwant %+v", c.doc, st, c.stats)
				}
				wantOut := c.doc
				if c.out != "" {
					wantOut = c.out
				}
				out, consumed, err := g.Decode(toks)
				if err != nil || consumed != len(toks) || string(out) != wantOut {
					t.Errorf("%s: Decode = %q, %d/%d, %v; want %q", c.doc, out, consumed, len(toks), err, wantOut)
				}
				// The machine's own counts agree with the encoder's.
				m := g.NewMachine(false)
				for _, tok := range toks {
					if err := m.Advance(tok); err != nil {
						t.Fatalf("%s: Advance: %v", c.doc, err)
					}
				}
				if v, f := m.Stats(); !m.Done() || v != st.Values || f != st.Fallback {
					t.Errorf("%s: machine done=%v values=%d fallback=%d; encoder %+v", c.doc, m.Done(), v, f, st)
				}
				// Encoding appends to dst.
				prefix := []Tok{1, 2, 3}
				toks2, _, err := g.Encode(slices.Clone(prefix), []byte(c.doc))
				if err != nil || !slices.Equal(toks2[:3], prefix) || !slices.Equal(toks2[3:], toks) {
					t.Errorf("%s: Encode does not append to dst: %v", c.doc, toks2)
				}
			}
		})
	}
}

// A known key costs exactly one token, in every position of a real schema:
// {"on":"push"} is KEY on, ENUM push, END_OBJ under both workflow schemas.
func TestOnPushRealSchemas(t *testing.T) {
	for name, path := range schemas {
		t.Run(name, func(t *testing.T) {
			g := realGrammar(t, path)
			toks, st, err := g.Encode(nil, []byte(`{"on":"push"}`))
			if err != nil {
				t.Fatal(err)
			}
			if len(toks) != 3 || toks[0] < tokenizer.KeyBase || toks[0] >= g.EnumBase || toks[1] < g.EnumBase || int(toks[1]) >= g.Size || toks[2] != tEO {
				t.Errorf("tokens %v (KeyBase %d, EnumBase %d, Size %d); want KEY, ENUM, END_OBJ", toks, tokenizer.KeyBase, g.EnumBase, g.Size)
			}
			if st != (tokenizer.Stats{Values: 2, KnownKeys: 1}) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestStrictTyping checks what strict machines refuse on the small schemas:
// missing required keys, repeated keys, fallback, off-schema keys and
// non-integers at an integer position.
func TestStrictTyping(t *testing.T) {
	type step struct {
		tok Tok
		ok  bool
	}
	cases := []struct {
		name   string
		schema string
		steps  func(g *tokenizer.Grammar) []step // applied in order; a failing step is probed on a clone
	}{
		{"required", `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"boolean"}},"required":["a"]}`,
			func(g *tokenizer.Grammar) []step {
				return []step{{tEO, false}, {kTok(1), true}, {tTRUE, true}, {tEO, false}, {kTok(1), false}, {tESC, false},
					{kTok(0), true}, {'x', true}, {tEND, true}, {kTok(0), false}, {tEO, true}}
			}},
		{"closed", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`,
			func(g *tokenizer.Grammar) []step {
				return []step{{'b', false}, {tEND, false}, {kTok(0), true}, {tESC, false}, {tNULL, false}, {tEND, true}, {tEO, true}}
			}},
		{"integer", `{"type":"array","items":{"type":"integer"},"minItems":2}`,
			func(g *tokenizer.Grammar) []step {
				return []step{{tARR, true}, {tEA, false}, {'1', true}, {'.', false}, {'e', false}, {tEND, true},
					{tEA, false}, {'-', true}, {tEND, false}, {'0', true}, {'1', false}, {tEND, true}, {tEA, true}}
			}},
		{"pattern", `{"type":"object","patternProperties":{"^x-[a-z]+$":{"type":"boolean"}},"additionalProperties":false}`,
			func(g *tokenizer.Grammar) []step {
				return []step{{'y', false}, {'x', true}, {tEND, false}, {'-', true}, {tEND, false}, {'1', false}, {'a', true},
					{tEND, true}, {tNULL, false}, {tTRUE, true},
					// the same key again is refused at its end
					{'x', true}, {'-', true}, {'a', true}, {tEND, false}, {'b', true}, {tEND, true}, {tFALS, true}, {tEO, true}}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := mustGrammar(t, c.schema)
			m := g.NewMachine(true)
			for i, s := range c.steps(g) {
				allowed := m.Allowed().Has(s.tok)
				if allowed != s.ok {
					t.Errorf("step %d token %d: Allowed=%v want %v (allowed %v; so far %s)", i, s.tok, allowed, s.ok, m.Allowed().Tokens(), m.JSON())
				}
				err := m.Clone().Advance(s.tok)
				if (err == nil) != s.ok {
					t.Errorf("step %d token %d: Advance err=%v want ok=%v", i, s.tok, err, s.ok)
				}
				if s.ok {
					if err := m.Advance(s.tok); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				}
			}
			if !m.Done() {
				t.Errorf("not done: %s", m.JSON())
			}
			// The same tokens are accepted by a non-strict machine.
			t.Logf("strict document %s", m.JSON())
		})
	}
}

// decodeErrorDocs are documents whose encodings exercise every frame kind.
var decodeErrorDocs = []struct{ schema, doc string }{
	{tableSchemas[3].schema, `{"sn":"q","is":42,"i":-7,"f":1.5,"bo":true,"os":{"k":[1,{}]},"ai":[1,2],"x":"é"}`},
	{tableSchemas[5].schema, `{"value":1,"children":[{"value":2},{"value":3,"children":[]}]}`},
	{tableSchemas[0].schema, `{"x":"a","y":{"z":null}}`},
	{`{}`, `[1,"a\u0000",{"k":[true,false,null]},-2.5e10,""]`},
}

// TestDecodeTruncated: every proper prefix of a valid encoding is a
// truncation (ErrTruncated, consumed == len), and DecodePrefix returns a
// growing prefix of the full document without an error.
func TestDecodeTruncated(t *testing.T) {
	for _, d := range decodeErrorDocs {
		g := mustGrammar(t, d.schema)
		toks, _, err := g.Encode(nil, []byte(d.doc))
		if err != nil {
			t.Fatal(err)
		}
		full, _, err := g.Decode(toks)
		if err != nil || string(full) != d.doc {
			t.Fatalf("%s: round trip %q %v", d.doc, full, err)
		}
		prev := 0
		for k := 0; k < len(toks); k++ {
			out, consumed, err := g.Decode(toks[:k])
			if !errors.Is(err, tokenizer.ErrTruncated) || consumed != k || out != nil {
				t.Errorf("%s: Decode(toks[:%d]) = %q, %d, %v; want ErrTruncated, %d", d.doc, k, out, consumed, err, k)
			}
			p, err := g.DecodePrefix(toks[:k])
			if err != nil || !bytes.HasPrefix(full, p) || len(p) < prev {
				t.Errorf("%s: DecodePrefix(toks[:%d]) = %q, %v", d.doc, k, p, err)
			}
			prev = len(p)
		}
		if p, err := g.DecodePrefix(toks); err != nil || !bytes.Equal(p, full) {
			t.Errorf("%s: DecodePrefix(all) = %q, %v", d.doc, p, err)
		}
	}
	g := mustGrammar(t, `{}`)
	if _, n, err := g.Decode(nil); !errors.Is(err, tokenizer.ErrTruncated) || n != 0 {
		t.Errorf("Decode(nil): %d %v", n, err)
	}
}

// TestDecodeSurplus: Decode stops at the end of the document.
func TestDecodeSurplus(t *testing.T) {
	for _, d := range decodeErrorDocs {
		g := mustGrammar(t, d.schema)
		toks, _, _ := g.Encode(nil, []byte(d.doc))
		for _, extra := range [][]Tok{{tEND}, {'a', 'b'}, {Tok(g.Size + 5)}, {0xFF}, slices.Clone(toks)} {
			all := append(slices.Clone(toks), extra...)
			out, consumed, err := g.Decode(all)
			if err != nil || consumed != len(toks) || string(out) != d.doc {
				t.Errorf("%s + %v: Decode = %q, %d/%d, %v", d.doc, extra, out, consumed, len(all), err)
			}
			p, err := g.DecodePrefix(all)
			if err != nil || string(p) != d.doc {
				t.Errorf("%s + %v: DecodePrefix = %q, %v", d.doc, extra, p, err)
			}
		}
		// Advance after the end.
		m := g.NewMachine(false)
		for _, tok := range toks {
			if err := m.Advance(tok); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Advance(tEND); !errors.Is(err, tokenizer.ErrDone) {
			t.Errorf("Advance after Done: %v", err)
		}
		if n := m.Allowed().Count(); n != 0 {
			t.Errorf("Allowed after Done has %d tokens", n)
		}
	}
}

// TestDecodeInvalid: a token that is never valid (out of the alphabet, or
// 0xFF, which is no UTF-8 byte and no number byte) at any position is an
// error that is not a truncation, with consumed == its position, and
// DecodePrefix returns the output before it.
func TestDecodeInvalid(t *testing.T) {
	for _, d := range decodeErrorDocs {
		g := mustGrammar(t, d.schema)
		toks, _, _ := g.Encode(nil, []byte(d.doc))
		for i := range toks {
			for _, bad := range []Tok{Tok(g.Size), Tok(g.Size + 9), 0xFF, 0xFFFF} {
				mod := slices.Clone(toks)
				mod[i] = bad
				out, consumed, err := g.Decode(mod)
				if err == nil || errors.Is(err, tokenizer.ErrTruncated) || consumed != i || out != nil {
					t.Errorf("%s: token %d at %d: Decode = %q, %d, %v", d.doc, bad, i, out, consumed, err)
					continue
				}
				// DecodePrefix returns at least the output before the bad
				// token (exactly that: see TestBugDecodePrefixRejectedToken).
				before, _ := g.DecodePrefix(toks[:i])
				p, err := g.DecodePrefix(mod)
				if err == nil || !bytes.HasPrefix(p, before) {
					t.Errorf("%s: token %d at %d: DecodePrefix = %q, %v; want %q and an error", d.doc, bad, i, p, err, before)
				}
				var sb bytes.Buffer
				if err := g.Describe(&sb, mod); err == nil {
					t.Errorf("%s: token %d at %d: Describe gives no error", d.doc, bad, i)
				}
			}
		}
	}
	// Structural mistakes.
	g := mustGrammar(t, tableSchemas[3].schema) // types
	for _, toks := range [][]Tok{
		{tEA},                        // end of array at an object start
		{kTok(1), tNUM},              // NUM where only a boolean fits
		{kTok(3), tNUM},              // NUM head at an integer-only position (implicit)
		{kTok(3), '1', '.'},          // a fraction at an integer-only position
		{kTok(0), tARR, tEO},         // END_OBJ inside an array
		{kTok(0), tARR, tOBJ},        // OBJ at an integer position
		{kTok(6), 0xC3, tEND},        // string ends inside a UTF-8 sequence
		{kTok(6), 0xED, 0xA0},        // a surrogate in UTF-8
		{kTok(6), 0xC0},              // overlong lead byte
		{0xC3, tEND},                 // key ends inside a UTF-8 sequence
		{kTok(2), '-', tEND},         // incomplete number
		{kTok(2), '0', '1'},          // leading zero
		{kTok(5), tOBJ, tESC},        // ESC where a key is expected
		{kTok(2), tESC, tESC},        // ESC twice
		{tESC, tESC},                 // ESC twice at the root
		{kTok(6), tTRUE},             // boolean at string|null
		{Tok(tokenizer.KeyBase + 7)}, // KEY slot the root does not have
		{kTok(0), Tok(g.EnumBase)},   // ENUM slot the node does not have
	} {
		_, consumed, err := g.Decode(toks)
		if err == nil || errors.Is(err, tokenizer.ErrTruncated) || consumed != len(toks)-1 {
			t.Errorf("%v: Decode consumed %d, err %v; want an error at the last token", toks, consumed, err)
		}
	}
}

// TestDeepNesting: Decode has no nesting bound, Encode has one (maxDepth,
// 512 values deep). A document nested deeper than that decodes but does
// not re-encode; Encode must then fail cleanly with ErrSyntax.
func TestDeepNesting(t *testing.T) {
	g := mustGrammar(t, `{}`)
	for _, depth := range []int{100, 511, 512, 513, 2000} {
		var toks []Tok
		for range depth {
			toks = append(toks, tARR)
		}
		for range depth {
			toks = append(toks, tEA)
		}
		out, consumed, err := g.Decode(toks)
		if err != nil || consumed != len(toks) || len(out) != 2*depth {
			t.Fatalf("depth %d: Decode: %v", depth, err)
		}
		toks2, _, err := g.Encode(nil, out)
		switch {
		case err == nil:
			if !slices.Equal(toks, toks2) {
				t.Errorf("depth %d: re-encoding differs", depth)
			}
		case errors.Is(err, tokenizer.ErrSyntax):
			t.Logf("depth %d: decodes, but Encode refuses its output: %v", depth, err)
		default:
			t.Errorf("depth %d: Encode: %v", depth, err)
		}
	}
}
