package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/model/eval"
	"github.com/tct-dev/tct/model/sample"
	"github.com/tct-dev/tct/model/train"
)

// Constrained sampling never leaves the grammar: every sample is either a
// complete workflow that decodes strictly, or was stopped by the length
// limit; unconstrained sampling from the same model goes astray.
func TestGenerateConstrained(t *testing.T) {
	sh := shardsForTraining(t, "../../testdata/dump", "../../testdata/dump.jsonl")
	runDir := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := run(t, "train", "--shards", sh, "--config", "tiny", "--out", runDir, "--steps", "12", "--set", "eval_every=12", "--set", "eval_batches=0"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	trained, err := train.Open(runDir)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trained.LoadForInference("")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tok, err := jobs.LoadTokenizer("")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := eval.NewValidator("ours", configs.WorkflowSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, constrained := range []bool{true, false} {
		rep, err := sample.Generate(tr, tok, sample.Options{N: 6, Constrained: constrained, MaxTokens: 150,
			Sampler: model.Sampler{Temperature: 1, Rng: rand.New(rand.NewPCG(1, 2))}})
		if err != nil {
			t.Fatal(err)
		}
		invalid := 0
		for _, s := range rep.Samples {
			if strings.HasPrefix(s.StopCause, "invalid") || s.StopCause == "id past the end" {
				invalid++
			}
			if s.Complete {
				var v map[string]any
				if err := json.Unmarshal(s.JSON, &v); err != nil {
					t.Errorf("complete sample is not JSON: %v", err)
				}
				ids, _, err := tok.NewEncoder().Encode(nil, s.JSON)
				m := tok.NewMachine(true)
				for _, id := range ids {
					if err == nil {
						err = tok.Advance(m, id)
					}
				}
				if constrained && (err != nil || !m.Done()) {
					t.Errorf("constrained sample fails strict decoding: %v\n%s", err, s.JSON)
				}
			}
		}
		t.Logf("constrained=%v: %d of %d complete, %d went off the grammar, %.1f ms/token (mask %.0f%%)",
			constrained, rep.Complete, len(rep.Samples), invalid, rep.MsPerToken, 100*rep.MaskShare)
		if constrained && invalid > 0 {
			t.Errorf("constrained sampling produced %d invalid samples", invalid)
		}
		// Constrained samples always finish (closed by the grammar when the
		// budget runs out), valid under our schema; a sample longer than the
		// context went on in a second window.
		longest := 0
		for _, s := range rep.Samples {
			longest = max(longest, s.Tokens)
			if constrained && (!s.Complete || !ours.Valid(s.JSON)) {
				t.Errorf("constrained sample: complete %v, %s", s.Complete, s.JSON)
			}
		}
		if longest >= 64 && rep.Windows < 2 || constrained && rep.Complete != len(rep.Samples) {
			t.Errorf("%d windows for a sample of %d ids; %d of %d complete", rep.Windows, longest, rep.Complete, len(rep.Samples))
		}
	}
	// eval -n 0: the loss and bits per byte over the whole validation split, no samples.
	out, stderr, err := run(t, "eval", "--checkpoint", runDir, "--shards", sh, "-n", "0", "--ngram", "3", "--json")
	if err != nil {
		t.Fatalf("eval -n 0: %v\n%s", err, stderr)
	}
	var rep eval.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if !(rep.ValBPB > 0 && rep.ValLoss > 0) || rep.Constrained.Samples != 0 {
		t.Errorf("eval -n 0: val loss %v, bpb %v, %v samples", rep.ValLoss, rep.ValBPB, rep.Constrained.Samples)
	}
	if rep.Ngram == nil || rep.Ngram.Order != 3 || !(rep.Ngram.BPB > 0) || math.Abs(rep.Ngram.Bytes-bytesOf(rep)) > 1e-6 {
		t.Errorf("n-gram floor: %+v", rep.Ngram)
	}
	// The loss by kind of target adds up to the loss and bits per byte.
	var bits, bytes float64
	var targets int64
	for kind, k := range rep.ByKind {
		if k.Targets <= 0 || k.Bits <= 0 || k.Bytes < 0 {
			t.Errorf("kind %s: %+v", kind, k)
		}
		bits, bytes, targets = bits+k.Bits, bytes+k.Bytes, targets+k.Targets
	}
	if len(rep.ByKind) < 4 || targets != rep.ValTargets || math.Abs(bits/bytes-rep.ValBPB) > 1e-9 ||
		math.Abs(bits*math.Ln2/float64(targets)-rep.ValLoss) > 1e-9 {
		t.Errorf("by kind: %d kinds, %d targets (%d), %v bits per byte (%v)", len(rep.ByKind), targets, rep.ValTargets, bits/bytes, rep.ValBPB)
	}
	// Training's validation of the last step (the whole split, the same
	// checkpoint) says what eval says.
	lines := readLogLines(t, runDir)
	if last := lines[len(lines)-1]; last.ValPartial || math.Abs(last.ValBPB-rep.ValBPB) > 1e-4 || math.Abs(last.ValLoss-rep.ValLoss) > 1e-4 {
		t.Errorf("training's validation %+v, eval %v loss %v bits per byte", last, rep.ValLoss, rep.ValBPB)
	}
}

// bytesOf is the bytes every scored target stands for.
func bytesOf(r eval.Report) float64 {
	var n float64
	for _, k := range r.ByKind {
		n += k.Bytes
	}
	return n
}

// The tiny model trained 30 steps on CPU: `generate -n 8 --constrained
// --format json` prints 8 complete workflows, each valid under SchemaStore's
// schema by the independent validator and under ours.
func TestGenerateValidUnderSchemaStore(t *testing.T) {
	src, err := os.ReadFile("../../../shared/schemas/github-workflow.json")
	if err != nil {
		t.Skip("SchemaStore's schema is not beside the repository:", err)
	}
	ss, err := eval.NewValidator("schemastore", src)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := eval.NewValidator("ours", configs.WorkflowSchema)
	if err != nil {
		t.Fatal(err)
	}
	sh := shardsForTraining(t, "../../testdata/dump", "../../testdata/dump.jsonl")
	runDir := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := run(t, "train", "--shards", sh, "--config", "tiny", "--out", runDir, "--steps", "30", "--set", "lr=0.01"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out, stderr, err := run(t, "generate", "--checkpoint", runDir, "-n", "8", "--constrained", "--format", "json", "--max-tokens", "300")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	docs := strings.Split(strings.TrimSpace(out), "\n")
	if len(docs) != 8 {
		t.Fatalf("%d documents printed, want 8\n%s", len(docs), stderr)
	}
	for i, d := range docs {
		if !ss.Valid([]byte(d)) || !ours.Valid([]byte(d)) {
			t.Errorf("sample %d is not valid under SchemaStore's schema (%v) or ours (%v):\n%s", i+1, ss.Valid([]byte(d)), ours.Valid([]byte(d)), d)
		}
	}
	t.Log(strings.TrimSpace(stderr))
}
