package canon

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	cases := map[string]string{
		"plain":          `"plain"`,
		"<b>&</b>":       `"<b>&</b>"`, // no HTML escaping
		"a\"b\\c":        `"a\"b\\c"`,
		"\n\r\t\b\f\x01": `"\n\r\t\b\f\u0001"`,
		"é 🚀 \u2028":     "\"é 🚀 \u2028\"", // no escaping of non-ASCII
	}
	for in, want := range cases {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
}

// AppendString and Unquote are inverse, and agree with encoding/json.
func FuzzStringRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\", "\x00\x1f", "é🚀", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		q := AppendString(nil, s)
		var viaJSON string
		if err := json.Unmarshal(q, &viaJSON); err != nil || viaJSON != s {
			t.Fatalf("encoding/json reads %s as %q (%v), want %q", q, viaJSON, err, s)
		}
		back, err := Unquote(q[1 : len(q)-1])
		if err != nil || string(back) != s {
			t.Fatalf("Unquote(%s) = %q, %v", q, back, err)
		}
	})
}
