package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/tct-dev/tct/shards"
)

// truncatedZst writes testdata/dump.jsonl 200 times as a .jsonl.zst cut
// two thirds in: whole records before the cut, then a corrupt stream.
func truncatedZst(t *testing.T, dir string) string {
	t.Helper()
	src, err := os.ReadFile("../../testdata/dump.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	for range 200 {
		zw.Write(src)
		zw.Flush()
	}
	zw.Close()
	bad := filepath.Join(dir, "cut.jsonl.zst")
	if err := os.WriteFile(bad, buf.Bytes()[:buf.Len()*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	return bad
}

// A pipeline over a truncated input writes a manifest that says so, and
// every reader refuses it unless --allow-incomplete.
func TestPipelineIncompleteRefused(t *testing.T) {
	dir := t.TempDir()
	bad := truncatedZst(t, dir)
	out := filepath.Join(dir, "shards")
	if _, _, err := run(t, "pipeline", bad, "--out", out, "--context", "64", "--val-fraction", "0.3"); err == nil {
		t.Fatal("a truncated input must fail the pipeline")
	}
	m, err := shards.ReadManifest(out)
	if !errors.Is(err, shards.ErrIncomplete) || m != nil {
		t.Fatalf("ReadManifest of an incomplete set: %v", err)
	}
	if !strings.Contains(err.Error(), "cut.jsonl.zst") || !strings.Contains(err.Error(), "--allow-incomplete") {
		t.Errorf("the error names neither the input nor the way out: %v", err)
	}
	m, err = shards.ReadManifestWith(out, shards.ReadOptions{AllowIncomplete: true})
	if err != nil || m.Complete || len(m.InputErrors) != 1 {
		t.Fatalf("manifest: %v, %+v", err, m)
	}
	if _, err := shards.OpenLoader(out, shards.LoaderOptions{Split: "train", BatchSize: 2}); !errors.Is(err, shards.ErrIncomplete) {
		t.Errorf("loader: %v", err)
	}
	for _, args := range [][]string{
		{"shards", "inspect", out},
		{"shards", "stats", out},
		{"shards", "bench", out, "--batches", "1"},
		{"train", "--shards", out, "--out", filepath.Join(dir, "run"), "--steps", "1"},
	} {
		if _, _, err := run(t, args...); !errors.Is(err, shards.ErrIncomplete) {
			t.Errorf("%v: %v, want the incomplete error", args, err)
		}
		if args[0] == "train" {
			continue // training for real is covered elsewhere
		}
		if _, stderr, err := run(t, append(args, "--allow-incomplete")...); err != nil {
			t.Errorf("%v --allow-incomplete: %v\n%s", args, err, stderr)
		}
	}
	// A whole run is complete.
	good := filepath.Join(dir, "good")
	if _, stderr, err := run(t, "pipeline", "../../testdata/dump.jsonl", "--out", good, "--context", "64"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if m, err := shards.ReadManifest(good); err != nil || !m.Complete {
		t.Fatalf("complete run: %v", err)
	}
}

// merge takes the partitions 0..N-1 of one run, each once, and keeps their rejects.
func TestMergeChecksPartitions(t *testing.T) {
	dir := t.TempDir()
	pipe := func(name string, extra ...string) string {
		out := filepath.Join(dir, name)
		args := append([]string{"pipeline", "../../testdata/dump", "../../testdata/dump.jsonl", "--out", out, "--context", "64"}, extra...)
		if _, stderr, err := run(t, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		return out
	}
	whole := pipe("whole")
	p0, p1 := pipe("p0", "--partition", "0/2"), pipe("p1", "--partition", "1/2")
	other := pipe("q1", "--partition", "1/2", "--context", "32")
	for _, c := range []struct {
		dirs []string
		want string
	}{
		{[]string{p0, p0}, "given once"},
		{[]string{p0}, "1 of 2 partitions"},
		{[]string{p1, other}, "another config"},
		{[]string{whole}, "not a partition"},
	} {
		_, _, err := run(t, append([]string{"shards", "merge", "--out", filepath.Join(dir, "bad")}, c.dirs...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("merge %v: %v, want %q", c.dirs, err, c.want)
		}
	}
	merged := filepath.Join(dir, "merged")
	if _, stderr, err := run(t, "shards", "merge", p1, p0, "--out", merged); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	a, _ := shards.ReadManifest(whole)
	b, err := shards.ReadManifest(merged)
	if err != nil || a.Read != b.Read || a.Rejected != b.Rejected || a.Written != b.Written {
		t.Fatalf("merged %v: %+v, whole %+v", err, b, a)
	}
	if got := len(lines(t, filepath.Join(merged, shards.RejectsName))); int64(got) != b.Rejected || got == 0 {
		t.Errorf("merged rejects.jsonl has %d lines, the manifest counts %d", got, b.Rejected)
	}
}

// A locked output directory is refused; a rerun leaves only the shards its
// manifest names.
func TestPipelineLockAndStaleShards(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "shards")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	unlock, err := shards.LockDir(out)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"pipeline", "../../testdata/dump", "../../testdata/dump.jsonl", "--out", out, "--context", "16"}
	if _, _, err := run(t, append(args, "--shard-bytes", "2000", "--row-group-rows", "4")...); !errors.Is(err, shards.ErrLocked) {
		t.Fatalf("a second writer: %v, want ErrLocked", err)
	}
	if _, err := shards.LockDir(out); !errors.Is(err, shards.ErrLocked) {
		t.Fatalf("LockDir twice: %v", err)
	}
	unlock()
	// What a larger earlier run left, and a file that is not ours.
	for _, name := range []string{"train-00007.parquet", "docs-00003.parquet", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(out, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr, err := run(t, args...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	m, err := shards.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"manifest.json", "notes.txt", "rejects.jsonl"}
	for _, s := range m.Shards {
		want = append(want, s.Name)
	}
	slices.Sort(want)
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, want) {
		t.Errorf("after a rerun the directory holds %v, want %v", names, want)
	}
}
