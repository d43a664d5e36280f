package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// tct tokenize --json reports the documented fields; tct decode turns ids
// back into the workflow.
func TestTokenizeAndDecodeCLI(t *testing.T) {
	stdout, stderr, err := run(t, "tokenize", "../../testdata/dump", "--verify", "--vs", "o200k", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"documents", "bytes_json", "bytes_yaml", "tokens", "roundtrip_failures", "o200k_tokens_json", "o200k_tokens_yaml"} {
		if _, ok := rep[f]; !ok {
			t.Errorf("field %s missing", f)
		}
	}
	if rep["roundtrip_failures"].(float64) != 0 || rep["tokens"].(float64) <= 0 || rep["tokens"].(float64) >= rep["o200k_tokens_json"].(float64) {
		t.Errorf("report: %v", rep)
	}
	tok, err := loadTokenizer("")
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"name":"CI","on":"push","jobs":{"t":{"runs-on":"ubuntu-latest","steps":[{"run":"make test"}]}}}`
	ids, _, err := tok.NewEncoder().Encode(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"decode", "--format", "json"}
	for _, id := range ids {
		args = append(args, strconv.Itoa(int(id)))
	}
	stdout, stderr, err = run(t, args...)
	if err != nil || strings.TrimSpace(stdout) != doc {
		t.Fatalf("decode: %q, %v\n%s", stdout, err, stderr)
	}
	stdout, _, err = run(t, append([]string{"decode"}, args[3:]...)...)
	if err != nil || !strings.Contains(stdout, "runs-on: ubuntu-latest") || !strings.Contains(stdout, "on: push") {
		t.Fatalf("decode to YAML: %q, %v", stdout, err)
	}
}
