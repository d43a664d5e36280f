package stages

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func corpusPath(t testing.TB, name string) string {
	p := filepath.Join("..", "..", "shared", "corpus", name)
	if _, err := os.Stat(p); err != nil {
		t.Skip("shared corpus not present:", err)
	}
	return p
}

// Differential test against yaml.v3's own decoder on the real corpus: after
// both are normalised to plain JSON values, they must agree, except where
// yaml.v3 follows YAML 1.1 and we follow the 1.2 core schema.
func TestCorpusMatchesYAMLv3(t *testing.T) {
	d, err := OpenDump(corpusPath(t, "workflows.jsonl.zst"), DefaultReadOptions())
	if err != nil {
		t.Fatal(err)
	}
	var compared, mismatched int
	var diffs []string
	err = d.Records(context.Background(), func(r *Record) error {
		ours, rej := YAMLToJSON(nil, r.Content, DefaultConvertLimits())
		if rej != nil {
			return nil
		}
		var theirs any
		if err := yaml.Unmarshal(bytes.TrimPrefix(r.Content, []byte("\xEF\xBB\xBF")), &theirs); err != nil {
			return nil
		}
		var got any
		if err := json.Unmarshal(ours, &got); err != nil {
			t.Fatalf("%s: %v", r.Source(), err)
		}
		compared++
		if p := firstDiff(got, normalize(theirs), "$"); p != "" {
			mismatched++
			if len(diffs) < 20 {
				diffs = append(diffs, r.Source()+": "+p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(diffs)
	t.Logf("compared %d documents, %d differ", compared, mismatched)
	if compared < 8000 {
		t.Errorf("compared only %d documents", compared)
	}
	if mismatched > 0 {
		t.Errorf("%d documents differ from yaml.v3, e.g.\n%s", mismatched, joinLines(diffs))
	}
}

func joinLines(s []string) string {
	var b bytes.Buffer
	for _, l := range s {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// normalize maps yaml.v3's decoded values onto what encoding/json produces.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			if k == nil {
				k = "null" // we keep a key's source text
			}
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return v
}

// firstDiff returns the path of the first difference, or "".
func firstDiff(a, b any, path string) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %T(%d) vs %T", path, a, len(x), b)
		}
		for k, v := range x {
			if p := firstDiff(v, y[k], path+"."+k); p != "" {
				return p
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %T vs %T", path, a, b)
		}
		for i := range x {
			if p := firstDiff(x[i], y[i], fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) && !yaml11Divergence(a, b) {
		return fmt.Sprintf("%s: ours %#v, yaml.v3 %#v", path, a, b)
	}
	return ""
}

// yaml11Divergence reports the leaf differences that come from yaml.v3
// resolving some plain scalars by YAML 1.1 rules where we follow the 1.2 core
// schema: timestamps (a string for us), `0755` (octal 493 there, 755 here),
// `.inf` (a string for us, since JSON has no infinity), and an empty scalar
// under an unknown tag ("" there, null here).
func yaml11Divergence(ours, theirs any) bool {
	switch t := theirs.(type) {
	case time.Time:
		_, ok := ours.(string)
		return ok
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			_, ok := ours.(string)
			return ok
		}
		o, ok := ours.(float64)
		if !ok {
			return false
		}
		octal, err := strconv.ParseInt(strconv.FormatFloat(o, 'f', -1, 64), 8, 64)
		return err == nil && float64(octal) == t
	case string:
		return t == "" && ours == nil
	}
	return false
}
