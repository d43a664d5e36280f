package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// run executes the CLI in-process and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

type summary struct {
	Read             int64            `json:"read"`
	Written          int64            `json:"written"`
	Rejected         int64            `json:"rejected"`
	RejectedByReason map[string]int64 `json:"rejected_by_reason"`
	Duplicates       int64            `json:"duplicates"`
	InputErrors      []string         `json:"input_errors"`
}

func lines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}

// The embedded default dump (what `make run` converts): every record is
// accounted for and lands in the right file.
func TestConvertEmbeddedDump(t *testing.T) {
	dir := t.TempDir()
	outPath := filepath.Join(dir, "wf.jsonl")
	stdout, _, err := run(t, "convert", "../../testdata/dump", "../../testdata/dump.jsonl", "--out", outPath, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, stdout)
	}
	if s.Read != s.Written+s.Rejected+s.Duplicates {
		t.Fatalf("accounting: %+v", s)
	}
	want := summary{Read: 15, Written: 9, Rejected: 5, Duplicates: 1,
		RejectedByReason: map[string]int64{"not_workflow_path": 2, "bad_record": 1, "multi_document": 1, "yaml_syntax": 1}}
	if s.Read != want.Read || s.Written != want.Written || s.Rejected != want.Rejected || s.Duplicates != want.Duplicates {
		t.Errorf("got %+v, want %+v", s, want)
	}
	for k, v := range want.RejectedByReason {
		if s.RejectedByReason[k] != v {
			t.Errorf("rejected_by_reason[%s] = %d, want %d", k, s.RejectedByReason[k], v)
		}
	}
	docs := lines(t, outPath)
	if int64(len(docs)) != s.Written {
		t.Fatalf("%d output lines, summary says %d", len(docs), s.Written)
	}
	first := docs[0]
	if first["repo"] != "acme/cli" || first["path"] != ".github/workflows/go.yml" || len(first["sha256"].(string)) != 64 ||
		!strings.HasPrefix(first["source"].(string), "../../testdata/dump:acme/cli/") {
		t.Errorf("origin fields: %v", first)
	}
	if _, ok := first["json"].(map[string]any)["on"]; !ok {
		t.Errorf("the key `on` did not survive: %v", first["json"])
	}
	rejects := lines(t, filepath.Join(dir, "wf.rejects.jsonl"))
	if int64(len(rejects)) != s.Rejected {
		t.Fatalf("%d reject lines, summary says %d", len(rejects), s.Rejected)
	}
	for _, r := range rejects {
		if r["reason"] == "" || r["message"] == "" || r["source"] == "" {
			t.Errorf("reject without reason or origin: %v", r)
		}
	}
}

// A truncated archive is an error naming the file; what came before it is kept.
func TestConvertTruncatedInput(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../testdata/dump.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	for range 200 { // enough data that a cut lands after whole records
		zw.Write(src)
		zw.Flush() // a block per copy, so a cut leaves whole records before it
	}
	zw.Close()
	bad := filepath.Join(dir, "cut.jsonl.zst")
	if err := os.WriteFile(bad, buf.Bytes()[:buf.Len()*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(dir, "out.jsonl")
	stdout, stderr, err := run(t, "convert", bad, "../../testdata/dump", "--out", outPath, "--json")
	if err == nil {
		t.Fatal("a truncated input must fail the command")
	}
	if !strings.Contains(stderr, "cut.jsonl.zst") {
		t.Errorf("error does not name the file: %q", stderr)
	}
	var s summary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("summary still expected: %v", err)
	}
	if len(s.InputErrors) != 1 || s.Read < 50 || s.Read != s.Written+s.Rejected+s.Duplicates {
		t.Errorf("summary: %+v", s)
	}
	// The records before the cut and the next input were still written.
	if got := len(lines(t, outPath)); int64(got) != s.Written || got < 9 {
		t.Errorf("%d lines written, summary %d", got, s.Written)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"convert", "--help"}} {
		out, _, err := run(t, args...)
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: err %v, output %q", args, err, out)
		}
	}
	if _, _, err := run(t, "convert", "nope-does-not-exist.jsonl", "--out", filepath.Join(t.TempDir(), "x.jsonl")); err == nil ||
		!strings.Contains(err.Error(), "nope-does-not-exist.jsonl") {
		t.Errorf("missing input: %v", err)
	}
}
