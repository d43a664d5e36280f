package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/shards"
)

// loaderShardsDir runs `tct pipeline` on the dump in testdata with small
// windows and row groups, so that both splits have several batches.
func loaderShardsDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shards")
	args := []string{"pipeline", "../../testdata/dump", "../../testdata/dump.jsonl", "--out", dir, "--context", "16",
		"--row-group-rows", "8", "--split-by", "doc", "--val-fraction", "0.4", "--json"}
	if _, stderr, err := run(t, args...); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr)
	}
	return dir
}

// runSub runs one of the commands not yet wired into the root.
func runSub(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), err
}

func TestShardsStats(t *testing.T) {
	dir := loaderShardsDir(t)
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runSub(t, newShardsStatsCmd(), dir, "--json", "--top", "5")
	if err != nil {
		t.Fatal(err)
	}
	var st shards.DirStats
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The library's counts are tested in shards; here the flags and the
	// output reach the command.
	for _, split := range []string{"train", "val"} {
		if s, c := st.Splits[split], m.Splits[split]; s == nil || c == nil || s.Windows != c.Windows || s.IDs != s.Windows*17 {
			t.Fatalf("split %s: stats %+v, manifest %+v", split, s, c)
		}
	}
	if len(st.Tokens.Top) != 5 || st.Tokens.Total == 0 {
		t.Fatalf("--top 5: tokens %+v", st.Tokens)
	}
	text, err := runSub(t, newShardsStatsCmd(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"train", "val", "padding", "distinct", "most frequent"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
	t.Log("\n" + text)
	if _, err := runSub(t, newShardsStatsCmd(), t.TempDir()); err == nil {
		t.Fatal("stats of a directory without a manifest: no error")
	}
}

func TestShardsBench(t *testing.T) {
	dir := loaderShardsDir(t)
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runSub(t, newShardsBenchCmd(), dir, "--batch", "8", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, k := range []string{"tokens_per_s", "batches_per_s", "mb_per_s", "peak_heap_mb", "first_batch_ms"} {
		if v, ok := res[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want > 0", k, res[k])
		}
	}
	// One epoch by default: every train window once.
	if res["windows"] != float64(m.Splits["train"].Windows) || res["batches"] != res["epoch_batches"] || res["batch"] != 8.0 {
		t.Errorf("one epoch: %v", res)
	}
	t.Logf("%s", out)
	// A validation pass ends at its end, whatever --batches says.
	out, err = runSub(t, newShardsBenchCmd(), dir, "--split", "val", "--shuffle=false", "--batches", "1000000")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "tokens/s") {
		t.Fatalf("text output: %s", out)
	}
	t.Log(out)
}
