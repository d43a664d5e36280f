package explore

import (
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/model/train"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// tinyRun writes a run directory holding the tiny model after one training
// step on ids, for tok.
func tinyRun(t *testing.T, tok *tokenizer.Tokenizer, ids []int32) string {
	t.Helper()
	cfg, err := model.LoadConfig(configs.Models, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Vocab = tok.Layout.ModelVocab
	dir := t.TempDir()
	b, err := json.Marshal(train.State{Config: cfg, Tokenizer: tok.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := train.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := run.NewTrainer(model.BackendSpec(""))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	batch := &model.Batch{B: cfg.Batch, C: cfg.Context}
	for range cfg.Batch {
		w, valid := shards.Window(tok.Layout, ids, 0, len(ids), cfg.Context)
		batch.Inputs = append(batch.Inputs, w[:cfg.Context]...)
		batch.Targets = append(batch.Targets, w[1:]...)
		batch.Mask = append(batch.Mask, windowMask(cfg.Context, 0, valid-1)...)
	}
	if _, err := tr.Step(batch); err != nil {
		t.Fatal(err)
	}
	if err := tr.Save(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// windowMask is 1 on targets [from, to) of a window of c targets.
func windowMask(c, from, to int) []float32 {
	m := make([]float32, c)
	for i := from; i < to; i++ {
		m[i] = 1
	}
	return m
}

// evalBits is the model's summed loss in bits over targets [from, to) of
// the pipeline's window of ids that starts at start, as training measures it.
func evalBits(t *testing.T, tr *model.Trainer, l tokenizer.Layout, ids []int32, start, from, to int) float64 {
	c := tr.Cfg.Context
	w, _ := shards.Window(l, ids, start, len(ids), c)
	sum, n, err := tr.EvalSum(&model.Batch{B: 1, C: c, Inputs: w[:c], Targets: w[1:], Mask: windowMask(c, from, to)})
	if err != nil || int(n) != to-from {
		t.Fatalf("EvalSum: %v, %v targets", err, n)
	}
	return sum / math.Ln2
}

// The loss of every id is what training's evaluation measures on the
// windows the pipeline cuts, and the allowed ids are ranked by the model.
func TestLossWithCheckpoint(t *testing.T) {
	src, err := os.ReadFile("../testdata/dump/acme/cli/.github/workflows/go.yml")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jobs.LoadTokenizer("")
	if err != nil {
		t.Fatal(err)
	}
	ids, _, err := tok.NewEncoder().Encode(nil, mustJSON(t, src))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, tinyRun(t, tok, ids))
	c := s.model.tr.Cfg.Context
	if len(ids) <= c {
		t.Fatalf("%d ids: want a document longer than the context %d", len(ids), c)
	}
	var res Result
	if code := post(t, s.Handler(), "/api/loss", src, &res); code != http.StatusOK || res.Bits == nil || res.Count != len(ids) {
		t.Fatalf("/api/loss: %d %+v", code, res)
	}
	sum := 0.0
	for i, tk := range res.Tokens {
		if tk.Bits == nil || !finite(*tk.Bits) || *tk.Bits <= 0 {
			t.Fatalf("token %d: bits %v", i, tk.Bits)
		}
		sum += *tk.Bits
	}
	// Windows start at 0 and at len-c; the ids after the first window are scored in the second.
	last := len(ids) - c
	head := evalBits(t, s.model.tr, tok.Layout, ids, 0, 0, c)
	tail := evalBits(t, s.model.tr, tok.Layout, ids, last, c-last, c)
	if math.Abs(sum-*res.Bits) > 1e-6*sum || math.Abs(head+tail-sum) > 1e-3*sum {
		t.Errorf("bits: tokens %.4f, total %.4f, EvalSum %.4f + %.4f", sum, *res.Bits, head, tail)
	}
	t.Logf("%d ids, %.1f bits (EvalSum: %.1f + %.1f)", len(ids), sum, head, tail)
	checkRanked(t, s, src, res, len(ids)-2)
}

// checkRanked asks /api/allowed at pos: the choices are allowed, ranked,
// and the actual id has the probability its loss says.
func checkRanked(t *testing.T, s *Server, src []byte, res Result, pos int) {
	t.Helper()
	var a Allowed
	if code := post(t, s.Handler(), "/api/allowed?pos="+strconv.Itoa(pos), src, &a); code != http.StatusOK || !a.Model || a.Mass == nil ||
		*a.Mass <= 0 || *a.Mass > 1+1e-6 || len(a.Choices) == 0 || len(a.Choices) > min(maxChoices, a.Count) {
		t.Fatalf("/api/allowed: %d %+v", code, a)
	}
	if !sort.SliceIsSorted(a.Choices, func(i, j int) bool { return a.Choices[i].P > a.Choices[j].P }) {
		t.Errorf("choices not ranked: %+v", a.Choices)
	}
	want := math.Exp2(-*res.Tokens[pos].Bits)
	for _, ch := range a.Choices {
		if ch.ID == a.Actual.ID && math.Abs(ch.P-want) > 1e-4 {
			t.Errorf("the actual id has p %.5f, its loss says %.5f", ch.P, want)
		}
		if ch.Text == "" || ch.Kind == "" {
			t.Errorf("choice %+v", ch)
		}
	}
}

func mustJSON(t *testing.T, src []byte) []byte {
	t.Helper()
	doc, err := stages.YAMLToJSON(nil, src, stages.DefaultConvertLimits())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
