package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tct-dev/tct/jobs"
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
	tok, err := jobs.LoadTokenizer("")
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

// tct train-tokenizer on the embedded dump: the summary accounts for every
// record and describes the file, the same flags give the same bytes, and
// tct tokenize round-trips every document with the new tokenizer.
func TestTrainTokenizerCLI(t *testing.T) {
	dir := t.TempDir()
	train := func(out string) map[string]any {
		t.Helper()
		stdout, stderr, err := run(t, "train-tokenizer", "../../testdata/dump", "../../testdata/dump.jsonl", "--vocab", "1300",
			"--holdout", "0", "--classes", "3", "--lex-states", "2", "--class-min-share", "0.05", "--overlearn", "0.5", "--out", out, "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	rep := train(a)
	num := func(k string) int { return int(rep[k].(float64)) }
	if num("read") != num("written")+num("rejected")+num("duplicates") || num("written") == 0 {
		t.Errorf("accounting: %v", rep)
	}
	if num("content_vocab") > 1300 || num("merges") == 0 || num("merge_tables") != num("merge_classes")*num("lex_states") ||
		num("lex_states") != 2 || num("hidden_merges") < 0 {
		t.Errorf("summary: %v", rep)
	}
	train(b)
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if len(ab) == 0 || !bytes.Equal(ab, bb) {
		t.Error("the same inputs and flags gave different tokenizer files")
	}
	// tokenize keeps every path by default (it also takes single files);
	// with train-tokenizer's pattern it sees the same documents.
	stdout, stderr, err := run(t, "tokenize", "../../testdata/dump", "../../testdata/dump.jsonl", "--tokenizer", a, "--verify", "--json",
		"--path-pattern", `(^|/)\.github/workflows/[^/]+\.ya?ml$`)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var tz map[string]any
	if err := json.Unmarshal([]byte(stdout), &tz); err != nil {
		t.Fatal(err)
	}
	if tz["tokenizer"] != rep["fingerprint"] || tz["roundtrip_failures"].(float64) != 0 || tz["documents"].(float64) != float64(num("written")) {
		t.Errorf("tokenize with the trained file: %v (trained: %v)", tz, rep)
	}
}

// bench tokenize --vs o200k times our encoder and o200k on the same
// documents in one run; the token counts are those of tokenize --vs o200k.
func TestBenchTokenizeVs(t *testing.T) {
	stdout, stderr, err := run(t, "bench", "tokenize", "../../testdata/dump", "--vs", "o200k", "--passes", "1", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var b struct {
		Documents int     `json:"documents"`
		Tokens    int64   `json:"tokens"`
		MBPerS    float64 `json:"mb_per_s"`
		Vs        *struct {
			MBPerS             float64 `json:"mb_per_s"`
			AllCoresMBPerS     float64 `json:"all_cores_mb_per_s"`
			OursAllCoresMBPerS float64 `json:"ours_all_cores_mb_per_s"`
			Tokens             int64   `json:"tokens"`
		} `json:"vs"`
	}
	if err := json.Unmarshal([]byte(stdout), &b); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err = run(t, "tokenize", "../../testdata/dump", "--vs", "o200k", "--json", "--path-pattern", `(^|/)\.github/workflows/[^/]+\.ya?ml$`)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var tz struct {
		Tokens int64 `json:"tokens"`
		O200k  int64 `json:"o200k_tokens_json"`
	}
	if err := json.Unmarshal([]byte(stdout), &tz); err != nil {
		t.Fatal(err)
	}
	if b.Vs == nil || b.Vs.Tokens != tz.O200k || b.Tokens != tz.Tokens || !(b.MBPerS > 0 && b.Vs.MBPerS > 0 && b.Vs.AllCoresMBPerS > 0 && b.Vs.OursAllCoresMBPerS > 0) {
		t.Errorf("bench %+v %+v; tokenize %+v", b, b.Vs, tz)
	}
	if _, _, err := run(t, "bench", "tokenize", "../../testdata/dump", "--vs", "cl100k"); err == nil {
		t.Error("an unknown --vs was accepted")
	}
}

// The decode examples of the README and docs/tokenizer.md spell the ci.yml
// shown there with the shipped tokenizer (they go stale when it is retrained).
func TestDocumentedDecodeExamples(t *testing.T) {
	for _, doc := range []string{"../../README.md", "../../docs/tokenizer.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		found := regexp.MustCompile("tct decode ((?:[0-9]+ ?)+)").FindAllStringSubmatch(string(b), -1)
		if len(found) == 0 {
			t.Errorf("%s: no decode example", doc)
		}
		for _, m := range found {
			out, stderr, err := run(t, append([]string{"decode"}, strings.Fields(m[1])...)...)
			if err != nil || !strings.Contains(out, "name: CI") || !strings.Contains(out, "npm ci && npm test") {
				t.Errorf("%s: tct decode %s: %v %s\n%s", doc, m[1], err, stderr, out)
			}
		}
	}
}
