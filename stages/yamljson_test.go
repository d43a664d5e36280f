package stages

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/tct-dev/tct/internal/canon"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func convert(t testing.TB, src string) (string, *Reject) {
	t.Helper()
	out, err := YAMLToJSON(nil, []byte(src), DefaultConvertLimits())
	if err != nil {
		return "", err.(*Reject)
	}
	if !json.Valid(out) {
		t.Fatalf("invalid JSON for %q: %s", src, out)
	}
	return string(out), nil
}

func TestYAMLToJSON(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"on stays a string key", "on: push\njobs: {}\n", `{"on":"push","jobs":{}}`},
		{"yaml 1.1 booleans are strings", "a: yes\nb: off\nc: NO\nd: y\n", `{"a":"yes","b":"off","c":"NO","d":"y"}`},
		{"core booleans", "a: true\nb: False\nc: TRUE\n", `{"a":true,"b":false,"c":true}`},
		{"3.10 is the number 3.1", "v: [3.10, 3.9, '3.10', 3.0]\n", `{"v":[3.1,3.9,"3.10",3]}`},
		{"leading zeros are decimal", "mode: 0755\n", `{"mode":755}`},
		{"octal and hex", "a: 0o17\nb: 0x1F\nc: 0xffffffffffffffffff\n", `{"a":15,"b":31,"c":4722366482869645213695}`},
		{"yaml 1.1 number forms are strings", "a: 1_000\nb: 0b101\nc: 1:30\n", `{"a":"1_000","b":"0b101","c":"1:30"}`},
		{"exact big integers", "a: 123456789012345678901234567890\nb: -007\nc: +5\n", `{"a":123456789012345678901234567890,"b":-7,"c":5}`},
		{"floats in ES6 form", "a: 1e3\nb: 1.5E-7\nc: 1e21\nd: .5\ne: -0.0\nf: 100.250\n", `{"a":1000,"b":1.5e-7,"c":1e+21,"d":0.5,"e":0,"f":100.25}`},
		{"inf and nan stay text", "a: .inf\nb: -.Inf\nc: .nan\nd: 1e999\n", `{"a":".inf","b":"-.Inf","c":".nan","d":"1e999"}`},
		{"nulls", "a:\nb: ~\nc: null\nd: NULL\n", `{"a":null,"b":null,"c":null,"d":null}`},
		{"quoted scalars are strings", "a: 'true'\nb: \"1\"\nc: |\n  1\n", `{"a":"true","b":"1","c":"1\n"}`},
		{"explicit tags", "a: !!str 1\nb: !!int \"12\"\nc: !!float 2\nd: !!bool yes\n", `{"a":"1","b":12,"c":2,"d":"yes"}`},
		{"unknown tags are ignored", "if: !custom\nb: !x 5\n", `{"if":null,"b":5}`},
		{"non-string keys are stringified as written", "1: a\ntrue: b\n3.10: c\n~: d\n", `{"1":"a","true":"b","3.10":"c","~":"d"}`},
		{"minimal escaping", "a: \"<b>&</b> \\u2028 \\x01 \\t \\\\ \\\"\"\n", "{\"a\":\"<b>&</b> \u2028 \\u0001 \\t \\\\ \\\"\"}"},
		{"unicode passes through", "name: ユニコード 🚀\n", `{"name":"ユニコード 🚀"}`},
		{"key order preserved", "z: 1\na: 2\nm: 3\n", `{"z":1,"a":2,"m":3}`},
		{"BOM dropped", "\xEF\xBB\xBFa: 1\n", `{"a":1}`},
		{"CRLF", "a: |\r\n  x\r\n  y\r\nb: 2\r\n", `{"a":"x\ny\n","b":2}`},
		{"anchors and aliases", "a: &x {k: v}\nb: *x\n", `{"a":{"k":"v"},"b":{"k":"v"}}`},
		{"merge: explicit keys win wherever they are", "base: &b {x: 1, y: 2}\nm:\n  y: 9\n  <<: *b\n  z: 3\n", `{"base":{"x":1,"y":2},"m":{"y":9,"x":1,"z":3}}`},
		{"merge: earlier source wins", "a: &a {k: 1}\nb: &b {k: 2, j: 2}\nm:\n  <<: [*a, *b]\n", `{"a":{"k":1},"b":{"k":2,"j":2},"m":{"k":1,"j":2}}`},
		{"merge: nested merges", "a: &a {k: 1}\nb: &b {<<: *a, j: 2}\nm: {<<: *b}\n", `{"a":{"k":1},"b":{"k":1,"j":2},"m":{"k":1,"j":2}}`},
		{"quoted << is a plain key", "\"<<\": 1\n", `{"<<":1}`},
		{"explicit document markers", "---\na: 1\n...\n", `{"a":1}`},
		{"top-level sequence", "- 1\n- x\n", `[1,"x"]`},
		{"json is yaml", `{"on":{"push":null},"jobs":{"a":{"steps":[{"run":"echo \"hi\""}]}}}`, `{"on":{"push":null},"jobs":{"a":{"steps":[{"run":"echo \"hi\""}]}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, rej := convert(t, tc.in)
			if rej != nil {
				t.Fatalf("rejected: %v", rej)
			}
			if got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestYAMLToJSONRejects(t *testing.T) {
	bomb := "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	for i := 'b'; i <= 'k'; i++ {
		bomb += string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+string(i-1)+",", 9) + "*" + string(i-1) + "]\n"
	}
	cases := []struct {
		name, in, reason, msg string
	}{
		{"empty", "", ReasonEmpty, ""},
		{"comments only", "# nothing\n", ReasonEmpty, ""},
		{"syntax", "a: [\n", ReasonYAMLSyntax, "line"},
		{"tab indent", "a:\n\tb: 1\n", ReasonYAMLSyntax, "line 2"},
		{"duplicate key", "a: 1\nb: 2\na: 3\n", ReasonDuplicateKey, `line 3: duplicate key "a"`},
		{"duplicate key, quoted form", "on: push\n\"on\": pull_request\n", ReasonDuplicateKey, `"on"`},
		{"duplicate key in a large mapping", largeMapping(40) + "k7: again\n", ReasonDuplicateKey, `"k7"`},
		{"duplicate explicit key beside a merge", "b: &b {x: 1}\nm: {<<: *b, y: 1, y: 2}\n", ReasonDuplicateKey, `"y"`},
		{"complex key", "{{ groupId }}: x\n", ReasonComplexKey, "line 1"},
		{"multi document", "a: 1\n---\nb: 2\n", ReasonMultiDocument, "line 2"},
		{"flow root with trailing content", "{a: 1}\nb: 2\n", ReasonYAMLSyntax, "document start"},
		{"sequence root with trailing content", "[1]\n[2]\n", ReasonYAMLSyntax, "document start"},
		{"block mapping with a stray line", "a: 1\n- b\n", ReasonYAMLSyntax, "did not find expected key"},
		{"unknown anchor", "a: *nope\n", ReasonYAMLSyntax, "unknown anchor"},
		{"recursive anchor", "a: &r\n  b: *r\n", ReasonYAMLSyntax, "contains itself"},
		{"merge of a scalar", "a: &s 1\nm: {<<: *s}\n", ReasonYAMLSyntax, "merge key"},
		{"alias bomb", bomb, ReasonAliasLimit, "aliases expand"},
		{"too deep", strings.Repeat("[", 150) + strings.Repeat("]", 150) + "\n", ReasonTooDeep, "deeper than 100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, rej := convert(t, tc.in)
			if rej == nil {
				t.Fatalf("accepted: %s", got)
			}
			if rej.Reason != tc.reason || !strings.Contains(rej.Message, tc.msg) {
				t.Errorf("got %s: %s; want %s containing %q", rej.Reason, rej.Message, tc.reason, tc.msg)
			}
		})
	}
}

func largeMapping(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("k")
		b.WriteString(strings.Repeat("", 0))
		b.WriteString(itoa(i))
		b.WriteString(": v\n")
	}
	return b.String()
}

func itoa(i int) string { return string(canon.AppendNumber(nil, float64(i))) }

func TestAppendNumber(t *testing.T) {
	cases := map[float64]string{
		1: "1", -1: "-1", 0.1: "0.1", 1e-7: "1e-7", 1.5e-7: "1.5e-7", 0.000001: "0.000001",
		123456789: "123456789", 1e20: "100000000000000000000", 1e21: "1e+21", 1.2345e25: "1.2345e+25",
		3.14159: "3.14159", 5e-324: "5e-324", 1.7976931348623157e308: "1.7976931348623157e+308",
	}
	for f, want := range cases {
		if got := string(canon.AppendNumber(nil, f)); got != want {
			t.Errorf("canon.AppendNumber(%g) = %s, want %s", f, got, want)
		}
	}
}

// Every file of the shared tricky set converts, or is rejected for the reason
// its name announces.
func TestTrickyCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpus", "tricky")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared corpus not present:", err)
	}
	rejected := map[string]string{
		"anchors--actionlint-dangling_alias.yaml":                       ReasonYAMLSyntax,
		"anchors--actionlint-recursive_anchors.yaml":                    ReasonYAMLSyntax,
		"anchors--actionlint-recursive_raw_value.yaml":                  ReasonYAMLSyntax,
		"broken-yaml--actionlint-broken_yaml.yaml":                      ReasonYAMLSyntax,
		"tabs--synthetic-tab-indent.yml":                                ReasonYAMLSyntax,
		"template-braces--real-tauri-plugin-audit.yml":                  ReasonYAMLSyntax,
		"template-braces--starter-nowsecure.yml":                        ReasonComplexKey,
		"duplicate-keys--actionlint-duplicate_keys.yaml":                ReasonDuplicateKey,
		"duplicate-keys--real-tauri-build-smoke-tests.yml":              ReasonDuplicateKey,
		"on-trap--synthetic-on-and-true-keys.yml":                       ReasonDuplicateKey,
		"empty--actionlint-empty.yaml":                                  ReasonEmpty,
		"multi-doc--synthetic-two-documents.yml":                        ReasonMultiDocument,
		"schema-negative--schemastore-empty_json_must_always_fail.yaml": ReasonNotWorkflow,
	}
	// What must hold in the JSON of some accepted files.
	contains := map[string][]string{
		"on-trap--synthetic-on-key.yml":                    {`"on":{"push":`, `"FEATURE":"off"`, `"VERBOSE":"yes"`, `"NORWAY":"NO"`},
		"yaml11-bool--real-laravel-databases.yml":          {`"MYSQL_ALLOW_EMPTY_PASSWORD":"yes"`},
		"float-trap--real-autogen-python-package.yml":      {`"python-version":[3.1]`},
		"yaml11-octal--real-goreleaser-generate.yml":       {`"chmod":755`},
		"merge-key--actionlint-merge_key_unsupported.yaml": {`"workflow_call":{"inputs":{"foo":{"type":"string"},"bar":{"type":"string"}}}`, `"env":{"FOO":"BAR","TEST":"test"}`},
		"bom--real-jellyfin-ci-compat.yml":                 {`{"name":`},
		"crlf--real-transformers-benchmark.yml":            {`"on":`},
		"unicode--synthetic-keys-and-rtl.yml":              {`"bygg_åtgärd"`, `"GRÜSSE"`},
		"custom-tag--real-duckdb-ExtensionRebuild.yml":     {`"if":null`},
		"json--synthetic-workflow-as-json.yml":             {`{"name":"json","on":{"push":{"branches":["main"]}}`},
		"wrong-type--actionlint-empty_on.yaml":             {`"on":null`},
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if name == "index.md" {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			r := &Record{Content: src}
			(&Convert{Limits: DefaultConvertLimits()}).Process(t.Context(), r)
			CheckWorkflow{}.Process(t.Context(), r)
			if want, ok := rejected[name]; ok {
				if r.Reject == nil || r.Reject.Reason != want {
					t.Fatalf("want reject %s, got %v (json %.80s)", want, r.Reject, r.JSON)
				}
				return
			}
			if r.Reject != nil {
				t.Fatalf("rejected: %v", r.Reject)
			}
			for _, s := range contains[name] {
				if !bytes.Contains(r.JSON, []byte(s)) {
					t.Errorf("output lacks %s", s)
				}
			}
			// Canonical JSON is YAML too, and converting it again changes nothing.
			again, err := YAMLToJSON(nil, r.JSON, DefaultConvertLimits())
			if err != nil || !bytes.Equal(again, r.JSON) {
				t.Errorf("not idempotent: %v", err)
			}
		})
	}
	if n != 56 {
		t.Errorf("tricky set has %d files, want 56", n)
	}
}

func FuzzYAMLToJSON(f *testing.F) {
	for _, s := range []string{"on: push\njobs: {}\n", "a: &a [1]\nb: *a\n", "m: {<<: {x: 1}, y: 2}\n", "- 0x1F\n- 3.10\n- .inf\n", "\"\\u0001\": |\n  x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := YAMLToJSON(nil, src, DefaultConvertLimits())
		if err != nil {
			if _, ok := err.(*Reject); !ok {
				t.Fatalf("error is not a *Reject: %T %v", err, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %q from %q", out, src)
		}
		if again, err := YAMLToJSON(nil, out, DefaultConvertLimits()); err == nil && !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q", out, again)
		}
	})
}

// A file that is not UTF-8 is rejected with the line and column of its first bad byte.
func TestYAMLToJSONInvalidUTF8Line(t *testing.T) {
	src := []byte("on: push\njobs:\n  a:\n    steps:\n      - run: \"caf\xe9\"\n")
	_, err := YAMLToJSON(nil, src, DefaultConvertLimits())
	var rej *Reject
	if !errors.As(err, &rej) || rej.Reason != ReasonYAMLSyntax || rej.Message != "line 5, column 18: invalid UTF-8 (byte 0xE9)" {
		t.Fatalf("got %v", err)
	}
}
