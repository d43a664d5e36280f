package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tct-dev/tct/model/train"
	"github.com/tct-dev/tct/shards"
)

// shardsForTraining runs the pipeline on the embedded dump (or the corpus)
// with a short context, for the tiny model.
func shardsForTraining(t *testing.T, inputs ...string) string {
	dir := filepath.Join(t.TempDir(), "shards")
	args := append([]string{"pipeline"}, inputs...)
	args = append(args, "--out", dir, "--context", "64", "--val-fraction", "0.3")
	if _, stderr, err := run(t, args...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	return dir
}

func readLogLines(t *testing.T, dir string) []train.Line {
	lines, err := train.ReadLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// The tiny model trains on real shards: the loss falls, validation loss and
// bits per byte are reported, the plot and checkpoints are written.
func TestTrainTiny(t *testing.T) {
	inputs := []string{"../../testdata/dump", "../../testdata/dump.jsonl"}
	if _, err := os.Stat("../../../shared/corpus/workflows.jsonl.zst"); err == nil {
		inputs = []string{"../../../shared/corpus/workflows.jsonl.zst"}
	}
	sh := shardsForTraining(t, inputs...)
	runDir := filepath.Join(t.TempDir(), "run")
	stdout, stderr, err := run(t, "train", "--shards", sh, "--config", "tiny", "--out", runDir, "--steps", "30", "--set", "lr=0.01", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var rep train.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("summary: %v\n%s", err, stdout)
	}
	t.Logf("%+v", rep)
	if rep.Steps != 30 || rep.ValLoss <= 0 || rep.ValBPB <= 0 || rep.Params <= 0 || rep.TokensPerS <= 0 {
		t.Errorf("report: %+v", rep)
	}
	// The loss falls: the mean of the last five steps against the first three
	// (single batches are noisy).
	lines := readLogLines(t, runDir)
	mean := func(ls []train.Line) float64 {
		var s float64
		for _, l := range ls {
			s += l.Loss
		}
		return s / float64(len(ls))
	}
	if first, last := mean(lines[:3]), mean(lines[len(lines)-5:]); !(last < first-0.5) {
		t.Errorf("the loss did not fall: first steps %.3f, last steps %.3f", first, last)
	}
	for _, f := range []string{"loss.png", "state.json", "log.jsonl", "best"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if len(lines) != 30 || lines[29].ValLoss <= 0 {
		t.Errorf("log: %d lines", len(lines))
	}
	// tiny validates on eval_batches 2 of 4 windows: the log says when that
	// is part of the split.
	man, err := shards.ReadManifest(sh)
	if err != nil {
		t.Fatal(err)
	}
	if partial := man.Splits["val"].Windows > 8; lines[29].ValPartial != partial {
		t.Errorf("%d validation windows, the log says partial %v", man.Splits["val"].Windows, lines[29].ValPartial)
	}
}

// N steps, then --resume to 2N, gives exactly the losses of 2N steps in one run.
func TestTrainResumeExact(t *testing.T) {
	sh := shardsForTraining(t, "../../testdata/dump", "../../testdata/dump.jsonl")
	whole, split := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "split")
	common := []string{"--shards", sh, "--config", "tiny", "--set", "eval_every=0"}
	if _, stderr, err := run(t, append([]string{"train", "--out", whole, "--steps", "8"}, common...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if _, stderr, err := run(t, append([]string{"train", "--out", split, "--steps", "8", "--until", "4"}, common...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if _, stderr, err := run(t, "train", "--resume", split); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	a, b := readLogLines(t, whole), readLogLines(t, split)
	if len(a) != 8 || len(b) != 8 {
		t.Fatalf("%d and %d log lines", len(a), len(b))
	}
	for i := range a {
		if a[i].Step != b[i].Step || a[i].Loss != b[i].Loss || a[i].Tokens != b[i].Tokens {
			t.Errorf("step %d: uninterrupted loss %v (tokens %d), resumed %v (tokens %d)", a[i].Step, a[i].Loss, a[i].Tokens, b[i].Loss, b[i].Tokens)
		}
	}
	run, err := train.Open(split)
	if err != nil || run.State.Step != 8 || run.State.Tokenizer == "" {
		t.Errorf("state: %+v %v", run, err)
	}
}

// A run directory belongs to one run: a new run refuses a used directory,
// a resumed run refuses flags that would change its data, model or place,
// and resuming a finished run plots its whole log again.
func TestTrainRunDirectory(t *testing.T) {
	sh := shardsForTraining(t, "../../testdata/dump", "../../testdata/dump.jsonl")
	other := shardsForTraining(t, "../../testdata/dump")
	runDir := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := run(t, "train", "--shards", sh, "--out", runDir, "--steps", "3", "--set", "eval_every=0"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--shards", sh, "--out", runDir, "--steps", "5"}, "--resume"},
		{[]string{"train", "--resume", runDir, "--shards", other}, "--shards"},
		{[]string{"train", "--resume", runDir, "--config", "small"}, "--config"},
		{[]string{"train", "--resume", runDir, "--set", "lr=0.1"}, "--set"},
		{[]string{"train", "--resume", runDir, "--out", t.TempDir()}, "--out"},
	} {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (want an error naming %s)", c.args, err, c.want)
		}
	}
	png := filepath.Join(runDir, "loss.png")
	if err := os.Remove(png); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run(t, "train", "--resume", runDir, "--shards", sh, "--config", "tiny"); err != nil {
		t.Fatalf("resuming a finished run: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(png); err != nil || len(readLogLines(t, runDir)) != 3 {
		t.Errorf("a finished run resumed: plot %v, %d log lines", err, len(readLogLines(t, runDir)))
	}
}
