package stages

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// topFields must agree with encoding/json on every valid object.
func FuzzTopFields(f *testing.F) {
	for _, s := range []string{
		`{"repo":"a/b","path":".github/workflows/x.yml","content":"on: push\n"}`,
		`{"content": "\u00e9\ud83d\ude80 \"q\" \\ \/", "repo": null, "x": [1, {"content": 2}], "path": 3}`,
		`{ "a" : { "b" : "}" } , "content" : "\ud800" }`,
		`{}`, `[]`, `{"content":true}`,
	} {
		f.Add([]byte(s))
	}
	names := [3]string{"repo", "path", "content"}
	f.Fuzz(func(t *testing.T, line []byte) {
		if !json.Valid(line) || !utf8.Valid(line) {
			return // encoding/json would replace invalid UTF-8; we keep the bytes as stored
		}
		vals, kinds, err := topFields(line, names)
		var m map[string]any
		if json.Unmarshal(line, &m) != nil {
			if err == nil {
				t.Fatalf("%q: accepted a non-object", line)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		for i, name := range names {
			v, ok := m[name]
			var want uint8
			switch v.(type) {
			case string:
				want = fieldString
				if string(vals[i]) != v.(string) {
					t.Fatalf("%q: %s = %q, encoding/json %q", line, name, vals[i], v)
				}
			case nil:
				want = fieldNull
			default:
				want = fieldOther
			}
			if !ok {
				want = fieldAbsent
			}
			if kinds[i] != want {
				t.Fatalf("%q: %s kind %d, want %d", line, name, kinds[i], want)
			}
		}
	})
}
