package tokenizer

import (
	"encoding/json"
	"slices"
	"testing"
)

// The tokenizer file's integer arrays are read by hand (intList); whatever
// encoding/json makes of an array of int32, they must make the same.
func TestIntList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int32
		ok   bool
	}{
		{`[]`, []int32{}, true},
		{`null`, nil, true},
		{`[1,2,3]`, []int32{1, 2, 3}, true},
		{" [ 7 ,\n-8\t] ", []int32{7, -8}, true},
		{`[2147483647,-2147483648]`, []int32{1<<31 - 1, -1 << 31}, true},
		{`[2147483648]`, nil, false},
		{`[1,]`, nil, false},
		{`[,1]`, nil, false},
		{`[1 2]`, nil, false},
		{`[1.5]`, nil, false},
		{`["1"]`, nil, false},
		{`{}`, nil, false},
	} {
		var got intList
		err := got.UnmarshalJSON([]byte(c.in))
		if (err == nil) != c.ok || c.ok && (!slices.Equal(got, c.want) || (got == nil) != (c.want == nil)) {
			t.Errorf("%q: %v, %v; want %v (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

func FuzzIntList(f *testing.F) {
	for _, s := range []string{`[]`, `null`, `[1,-2,3]`, `[2147483648]`, `[1e2]`, `[-0]`, ` [ 1 ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // the file's JSON is validated before its arrays are read
		}
		var want []int32
		werr := json.Unmarshal(data, &want)
		var got intList
		gerr := got.UnmarshalJSON(data)
		if (werr == nil) != (gerr == nil) || werr == nil && !slices.Equal([]int32(got), want) {
			t.Fatalf("%q: intList %v (%v), encoding/json %v (%v)", data, got, gerr, want, werr)
		}
	})
}
