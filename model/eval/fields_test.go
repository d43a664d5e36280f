package eval

import (
	"math"
	"os"
	"testing"

	"github.com/tct-dev/tct/configs"
)

func TestTVDistance(t *testing.T) {
	for _, c := range []struct {
		name string
		p, q map[string]float64
		want float64
	}{
		{"same", map[string]float64{"a": 1, "b": 3}, map[string]float64{"a": 2, "b": 6}, 0},
		{"disjoint", map[string]float64{"a": 1}, map[string]float64{"b": 1}, 1},
		{"half", map[string]float64{"a": 1, "b": 1}, map[string]float64{"a": 1}, 0.5},
		{"empty side", map[string]float64{"a": 1}, map[string]float64{}, 1},
		{"key only in q", map[string]float64{"a": 3, "b": 1}, map[string]float64{"a": 1, "c": 1}, 0.5},
	} {
		if got := TVDistance(c.p, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if got, back := TVDistance(c.p, c.q), TVDistance(c.q, c.p); math.Abs(got-back) > 1e-12 {
			t.Errorf("%s: not symmetric: %v and %v", c.name, got, back)
		}
	}
}

func TestFieldDistributions(t *testing.T) {
	docs := [][]byte{
		[]byte(`{"on":"push","jobs":{"a":{"runs-on":"ubuntu-latest","steps":[{"uses":"actions/checkout@v4"},{"run":"make"}]}}}`),
		[]byte(`{"on":["push","pull_request"],"jobs":{"a":{"runs-on":["self-hosted"],"steps":[{"uses":"actions/checkout@v3"}]}}}`),
		[]byte(`{"on":{"schedule":[{"cron":"0 0 * * *"}]},"jobs":{}}`),
		[]byte(`not json`),
	}
	d := FieldDistributions(docs)
	want := Distributions{
		"on":      {"push": 2, "pull_request": 1, "schedule": 1},
		"runs-on": {"ubuntu-latest": 1}, // a list of labels is not counted
		"uses":    {"actions/checkout": 2},
	}
	for f, h := range want {
		if len(d[f]) != len(h) {
			t.Errorf("%s: %v, want %v", f, d[f], h)
		}
		for k, v := range h {
			if d[f][k] != v {
				t.Errorf("%s[%s] = %v, want %v", f, k, d[f][k], v)
			}
		}
	}
}

// Our schema accepts a real workflow and refuses one without jobs; a schema
// that does not compile is an error naming it.
func TestValidator(t *testing.T) {
	v, err := NewValidator("ours", configs.WorkflowSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid([]byte(`{"on":"push","jobs":{"a":{"runs-on":"ubuntu-latest","steps":[{"run":"make"}]}}}`)) {
		t.Error("a valid workflow was refused")
	}
	if v.Valid([]byte(`{"on":"push"}`)) || v.Valid([]byte(`{`)) {
		t.Error("an invalid document was accepted")
	}
	if _, err := NewValidator("broken", []byte(`{"type": 3}`)); err == nil {
		t.Error("a broken schema compiled")
	}
	if b, err := os.ReadFile("../../../shared/schemas/github-workflow.json"); err == nil {
		ss, err := NewValidator("schemastore", b)
		if err != nil {
			t.Fatal(err)
		}
		if !ss.Valid([]byte(`{"on":"push","jobs":{"a":{"runs-on":"ubuntu-latest","steps":[{"run":"make"}]}}}`)) {
			t.Error("SchemaStore's schema refused a valid workflow")
		}
	}
}
