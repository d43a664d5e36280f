package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tct-dev/tct/shards"
)

// TestMain lets the test binary act as the tct command (TCT_RUN_MAIN=1), so
// tests can run it as a separate process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("TCT_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func corpusOrSkip(t *testing.T) string {
	p := "../../../shared/corpus/workflows.jsonl.zst"
	if _, err := os.Stat(p); err != nil {
		t.Skip("shared corpus not available")
	}
	return p
}

// dirFiles maps each file of a directory to its bytes (hidden files excluded).
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name()[0] == '.' {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sameDirs(t *testing.T, a, b string) {
	t.Helper()
	fa, fb := dirFiles(t, a), dirFiles(t, b)
	if len(fa) != len(fb) {
		t.Fatalf("%s has %d files, %s %d", a, len(fa), b, len(fb))
	}
	for name, x := range fa {
		if !bytes.Equal(x, fb[name]) {
			t.Errorf("%s differs between %s and %s", name, a, b)
		}
	}
}

var smallShards = []string{"--shard-bytes", "150000", "--row-group-rows", "64", "--context", "256"}

// Same inputs, config and tokenizer: the same bytes, whatever the workers.
func TestPipelineReproducible(t *testing.T) {
	corpus := corpusOrSkip(t)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, run := range []struct{ dir, workers string }{{a, "1"}, {b, "2"}} {
		args := append([]string{"pipeline", corpus, "--out", run.dir, "--workers", run.workers, "--json"}, smallShards...)
		if _, stderr, err := runCLI(t, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
	}
	sameDirs(t, a, b)
	checkShards(t, a)
	unpacked := filepath.Join(t.TempDir(), "unpacked")
	args := append([]string{"pipeline", corpus, "--out", unpacked, "--pack=false"}, smallShards...)
	if _, stderr, err := runCLI(t, args...); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr)
	}
	checkShards(t, unpacked)
}

// checkShards reads a shard set back and checks what the manifest promises:
// checksums, no validation document or repository in train, every token of
// every document a target of some window, and the accounting.
func checkShards(t *testing.T, dir string) {
	t.Helper()
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(dir); err != nil {
		t.Fatal(err)
	}
	if m.Read != m.Written+m.Rejected+m.Duplicates {
		t.Fatalf("accounting: %+v", m.Accounting)
	}
	docs := map[int64]shards.DocRow{}
	repoSplit := map[string]string{}
	var windows []shards.WindowRow
	split := map[int64]string{}
	for _, s := range m.Shards {
		path := filepath.Join(dir, s.Name)
		if s.Kind == "docs" {
			rows, err := shards.ReadRows[shards.DocRow](path, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range rows {
				docs[d.DocID] = d
				if prev, ok := repoSplit[d.Repo]; ok && prev != d.Split && d.Repo != "" {
					t.Fatalf("repository %s is in both splits", d.Repo)
				}
				repoSplit[d.Repo] = d.Split
			}
			continue
		}
		rows := windowRows(t, dir, m, s)
		for _, w := range rows {
			if prev, ok := split[w.DocID]; ok && prev != s.Split {
				t.Fatalf("document %d has windows in both splits", w.DocID)
			}
			split[w.DocID] = s.Split
			windows = append(windows, w)
		}
	}
	if int64(len(docs)) != m.Written {
		t.Fatalf("%d documents in the docs table, %d written", len(docs), m.Written)
	}
	covered := map[int64][]bool{}
	ctx := m.Config.Context
	for _, w := range windows {
		d, ok := docs[w.DocID]
		if !ok {
			t.Fatalf("window of unknown document %d", w.DocID)
		}
		if split[w.DocID] != d.Split {
			t.Fatalf("document %d: windows in %s, docs table says %s", w.DocID, split[w.DocID], d.Split)
		}
		if len(w.Tokens) != ctx+1 || w.Tokens[0] != m.Layout.Position(int(w.Start)) {
			t.Fatalf("window shape: %d ids, first %d", len(w.Tokens), w.Tokens[0])
		}
		c := covered[w.DocID]
		if c == nil {
			c = make([]bool, d.Tokens)
			covered[w.DocID] = c
		}
		for i := int(w.Start); i < int(w.Start)+int(w.Valid)-1; i++ {
			c[i] = true
		}
		for _, id := range w.Tokens[w.Valid:] {
			if int(id) != m.Layout.PAD {
				t.Fatalf("non-PAD id %d after the valid length", id)
			}
		}
	}
	for id, c := range covered {
		if slices.Contains(c, false) {
			t.Fatalf("document %d: a token is never a target", id)
		}
	}
	if len(covered) != len(docs) {
		t.Fatalf("%d documents have windows, %d in the docs table", len(covered), len(docs))
	}
}

// windowRows reads the windows of a shard; of a packed one, every segment
// as a window of its own (its ids, then PAD), after checking the padding.
func windowRows(t *testing.T, dir string, m *shards.Manifest, s shards.ShardInfo) []shards.WindowRow {
	t.Helper()
	path := filepath.Join(dir, s.Name)
	if !m.Packed(s.Split) {
		rows, err := shards.ReadRows[shards.WindowRow](path, 0)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	packed, err := shards.ReadRows[shards.PackedRow](path, 0)
	if err != nil {
		t.Fatal(err)
	}
	var rows []shards.WindowRow
	for _, p := range packed {
		for j, id := range p.Tokens[p.Valid:] {
			if int(id) != m.Layout.PAD || p.Segments()[int(p.Valid)+j] != 0 {
				t.Fatalf("%s: slot %d after the valid length: id %d", path, int(p.Valid)+j, id)
			}
		}
		err := p.EachSegment(func(doc int64, start int32, ids []int32) {
			w := slices.Repeat([]int32{int32(m.Layout.PAD)}, len(p.Tokens))
			copy(w, ids)
			rows = append(rows, shards.WindowRow{Tokens: w, DocID: doc, Start: start, Valid: int32(len(ids))})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// A run killed with SIGKILL leaves no complete-looking output; rerunning
// the same command ends with the same bytes as an uninterrupted run.
func TestPipelineKillAndResume(t *testing.T) {
	corpus := corpusOrSkip(t)
	clean, killed := filepath.Join(t.TempDir(), "clean"), filepath.Join(t.TempDir(), "killed")
	args := append([]string{"pipeline", corpus, "--workers", "1"}, smallShards...)
	if _, stderr, err := runCLI(t, append(args, "--out", clean)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	cmd := exec.Command(os.Args[0], append(args, "--out", killed)...)
	cmd.Env = append(os.Environ(), "TCT_RUN_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once a few shards are finished.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var j struct{ Done []json.RawMessage }
		if b, err := os.ReadFile(filepath.Join(killed, ".journal.json")); err == nil && json.Unmarshal(b, &j) == nil && len(j.Done) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run finished no shard in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(killed, shards.ManifestName)); err == nil {
		t.Skip("the run finished before it was killed")
	}
	// Every file under a final name is complete: it equals the clean run's.
	cleanFiles := dirFiles(t, clean)
	for name, b := range dirFiles(t, killed) {
		if filepath.Ext(name) == ".parquet" && !bytes.Equal(b, cleanFiles[name]) {
			t.Fatalf("%s under its final name is not complete", name)
		}
	}
	if _, stderr, err := runCLI(t, append(args, "--out", killed)...); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	sameDirs(t, clean, killed)
	if _, err := os.Stat(filepath.Join(killed, ".journal.json")); err == nil {
		t.Error("the journal outlived the finished run")
	}
}

// Partitions by content hash, merged, account for the same records as one run.
func TestPipelinePartitionsMerge(t *testing.T) {
	corpus := corpusOrSkip(t)
	root := t.TempDir()
	whole := filepath.Join(root, "whole")
	if _, stderr, err := runCLI(t, "pipeline", corpus, "--out", whole); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var parts []string
	for _, p := range []string{"0/3", "1/3", "2/3"} {
		dir := filepath.Join(root, "part"+p[:1])
		parts = append(parts, dir)
		if _, stderr, err := runCLI(t, "pipeline", corpus, "--out", dir, "--partition", p); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
	}
	merged := filepath.Join(root, "merged")
	if _, stderr, err := runCLI(t, append([]string{"shards", "merge", "--out", merged}, parts...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	a, _ := shards.ReadManifest(whole)
	b, _ := shards.ReadManifest(merged)
	if a.Read != b.Read || a.Written != b.Written || a.Rejected != b.Rejected || a.Duplicates != b.Duplicates {
		t.Fatalf("accounting: whole %+v, merged %+v", a.Accounting, b.Accounting)
	}
	for k, c := range a.Splits {
		got := *b.Splits[k]
		if a.Packed(k) {
			// Each partition packs its own documents: its last window is
			// partly padding, so the windows and padding differ.
			if got.Windows < c.Windows || got.Windows > c.Windows+2 {
				t.Errorf("split %s: whole %d windows, merged %d", k, c.Windows, got.Windows)
			}
			got.Windows, got.Padding = c.Windows, c.Padding
		}
		if got != *c {
			t.Errorf("split %s: whole %+v, merged %+v", k, *c, *b.Splits[k])
		}
	}
	checkShards(t, merged)
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	return run(t, args...)
}

// --config sets what the file names, flags given on the command line win
// over it, and the rest keeps the defaults of configs/pipeline.yaml.
func TestPipelineConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(cfgPath, []byte("context: 128\nval_fraction: 0.5\nseed: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "shards")
	if _, stderr, err := run(t, "pipeline", "../../testdata/dump", "--out", out, "--config", cfgPath, "--context", "64"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	m, err := shards.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	want := shards.Config{Context: 64, Stride: 64, SplitBy: "repo", ValFraction: 0.5, Seed: 7, ShardBytes: 128 << 20, RowGroupRows: 2048, Pack: true}
	if m.Config.Config != want {
		t.Errorf("config %+v, want %+v", m.Config.Config, want)
	}
	if err := os.WriteFile(cfgPath, []byte("contxt: 128\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "pipeline", "../../testdata/dump", "--out", out, "--config", cfgPath); err == nil || !strings.Contains(err.Error(), "contxt") {
		t.Errorf("unknown key: err = %v", err)
	}
}
