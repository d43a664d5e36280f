package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tct-dev/tct/model/eval"
	"github.com/tct-dev/tct/model/sample"
	"github.com/tct-dev/tct/tokenizer"
)

// The plain BPE baseline runs end to end: train-tokenizer --kind bpe, the
// pipeline with it (windows with one start id), train, eval with the loss
// by kind adding up, and unconstrained generation; constrained generation
// is refused with a clear message.
func TestBPEBaseline(t *testing.T) {
	dir := t.TempDir()
	tokPath := filepath.Join(dir, "bpe.json")
	inputs := []string{"../../testdata/dump", "../../testdata/dump.jsonl"}
	if _, stderr, err := run(t, append([]string{"train-tokenizer", "--kind", "bpe", "--vocab", "700", "--holdout", "0", "--out", tokPath}, inputs...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	tok, err := tokenizer.Load(tokPath)
	if err != nil || tok.Kind() != tokenizer.KindBPE || tok.Layout.Content > 700 || tok.Layout.Content <= 400 || tok.Layout.PositionCount != 1 {
		t.Fatalf("%v: %+v", err, tok)
	}
	sh := filepath.Join(dir, "shards")
	args := append([]string{"pipeline", "--tokenizer", tokPath, "--out", sh, "--context", "64", "--val-fraction", "0.3"}, inputs...)
	if _, stderr, err := run(t, args...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	runDir := filepath.Join(dir, "run")
	if _, stderr, err := run(t, "train", "--shards", sh, "--tokenizer", tokPath, "--config", "tiny", "--out", runDir, "--steps", "6",
		"--set", "eval_every=6", "--set", "eval_batches=0"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out, stderr, err := run(t, "eval", "--checkpoint", runDir, "--shards", sh, "--tokenizer", tokPath, "-n", "2", "--max-tokens", "40", "--json")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr)
	}
	var rep eval.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	k := rep.ByKind[tokenizer.KindText]
	if len(rep.ByKind) != 1 || k == nil || math.Abs(k.Bits/k.Bytes-rep.ValBPB) > 1e-9 || rep.Unconstrained.Samples != 2 || rep.Constrained.Samples != 0 {
		t.Errorf("eval: %+v", rep)
	}
	out, stderr, err = run(t, "generate", "--checkpoint", runDir, "--tokenizer", tokPath, "--constrained=false", "-n", "2", "--max-tokens", "30", "--json")
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr)
	}
	var g sample.Report
	if err := json.Unmarshal([]byte(out), &g); err != nil || len(g.Samples) != 2 || g.Tokens == 0 {
		t.Errorf("generate: %v %+v", err, g)
	}
	if _, _, err := run(t, "generate", "--checkpoint", runDir, "--tokenizer", tokPath, "-n", "1"); err == nil || !strings.Contains(err.Error(), "--constrained=false") {
		t.Errorf("constrained generation with a BPE tokenizer: %v", err)
	}
}
