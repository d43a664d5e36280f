package model

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	gm "github.com/gomlx/gomlx/ml/model"
	"math/rand/v2"
	"testing"

	"github.com/tct-dev/tct/configs"
)

func tinyConfig(t *testing.T) Config {
	c, err := LoadConfig(configs.Models, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	c.Vocab = 256
	c.Context = 16
	c.Steps = 30
	return c
}

// patternBatch is a learnable stream: a repeating random pattern.
func patternBatch(c Config, rng *rand.Rand, pattern []int32) *Batch {
	b := &Batch{B: c.Batch, C: c.Context}
	for range c.Batch {
		off := rng.IntN(len(pattern))
		for j := 0; j < c.Context; j++ {
			b.Inputs = append(b.Inputs, pattern[(off+j)%len(pattern)])
			b.Targets = append(b.Targets, pattern[(off+j+1)%len(pattern)])
			m := float32(1)
			if j >= c.Context-2 { // the last targets are padding: masked
				m = 0
			}
			b.Mask = append(b.Mask, m)
		}
	}
	for _, m := range b.Mask {
		b.Tokens += int(m)
	}
	return b
}

// patternTrainer is a fresh trainer and a learnable random pattern.
func patternTrainer(t *testing.T, c Config, seed uint64) (*Trainer, *rand.Rand, []int32) {
	t.Helper()
	tr, err := NewTrainer(c, DefaultBackend, "")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	pattern := make([]int32, 11)
	for i := range pattern {
		pattern[i] = int32(rng.IntN(c.Vocab))
	}
	return tr, rng, pattern
}

func TestTinyTrains(t *testing.T) {
	c := tinyConfig(t)
	tr, rng, pattern := patternTrainer(t, c, 1)
	defer tr.Close()
	var first, last StepStats
	for i := range c.Steps {
		st, err := tr.Step(patternBatch(c, rng, pattern))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = st
		}
		last = st
	}
	t.Logf("loss %.3f → %.3f, lr %.5f, grad norm %.3f, params %d (formula %d)", first.Loss, last.Loss, last.LR, last.GradNorm, tr.NumParameters(), c.Params())
	if !(last.Loss < first.Loss*0.7) {
		t.Errorf("loss did not fall: %.3f → %.3f", first.Loss, last.Loss)
	}
	if tr.NumParameters() != c.Params() {
		t.Errorf("parameters: store %d, formula %d", tr.NumParameters(), c.Params())
	}
	if tr.GlobalStep() != int64(c.Steps) {
		t.Errorf("global step %d", tr.GlobalStep())
	}
	if last.GradNorm <= 0 || last.LR <= 0 || last.LR > c.LR {
		t.Errorf("stats: %+v", last)
	}
	sum, count, err := tr.EvalSum(patternBatch(c, rng, pattern))
	if err != nil || count != float64(c.Batch*(c.Context-2)) || sum <= 0 {
		t.Errorf("eval: sum %v count %v err %v", sum, count, err)
	}
}

// The KV-cached step gives the logits of the full pass, position by position.
func TestCachedStepMatchesFullPass(t *testing.T) {
	c := tinyConfig(t)
	tr, rng, pattern := patternTrainer(t, c, 3)
	defer tr.Close()
	for range 3 { // train a little so the weights are not just their initial values
		if _, err := tr.Step(patternBatch(c, rng, pattern)); err != nil {
			t.Fatal(err)
		}
	}
	b := 2
	full, err := tr.NewPredictor(b)
	if err != nil {
		t.Fatal(err)
	}
	cached, err := tr.NewCachedPredictor(b)
	if err != nil {
		t.Fatal(err)
	}
	window := make([]int32, b*c.Context)
	for i := range window {
		window[i] = int32(rng.IntN(c.Vocab))
	}
	var worst float64
	for p := 0; p < c.Context; p++ {
		got, err := cached.Next([]int32{window[p], window[c.Context+p]}, p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := full.Next(window, []int32{int32(p), int32(p)})
		if err != nil {
			t.Fatal(err)
		}
		for r := range b {
			for v := range want[r] {
				worst = math.Max(worst, math.Abs(float64(got[r][v]-want[r][v])))
			}
		}
	}
	t.Logf("largest logit difference %.2e", worst)
	if worst > 1e-3 {
		t.Errorf("cached and full logits differ by %.2e", worst)
	}
}

// bf16 compute keeps float32 master weights (and AdamW state), and trains.
func TestBFloat16MasterWeights(t *testing.T) {
	c := tinyConfig(t)
	c.DType = "bfloat16"
	tr, rng, pattern := patternTrainer(t, c, 1)
	defer tr.Close()
	var first, last float64
	for i := range c.Steps {
		st, err := tr.Step(patternBatch(c, rng, pattern))
		if err != nil {
			t.Skipf("bf16 on this backend: %v", err)
		}
		if i == 0 {
			first = st.Loss
		}
		last = st.Loss
	}
	for v := range tr.store.RootScope().In("gpt").IterVariables() {
		if v.DType() != dtypes.Float32 {
			t.Errorf("%s is %s, want float32 master weights", v.Path(), v.DType())
		}
	}
	t.Logf("bf16: loss %.3f → %.3f", first, last)
	if !(last < first*0.8) {
		t.Errorf("bf16 training did not learn: %.3f → %.3f", first, last)
	}
}

// Predictor gives next-token logits for a batch of windows by a full
// forward pass: the reference for the KV-cached step.
type Predictor struct {
	t    *Trainer
	exec *gm.Exec
	B    int
}

// NewPredictor compiles the forward pass for batches of b windows.
func (t *Trainer) NewPredictor(b int) (*Predictor, error) {
	cfg := t.Cfg
	exec, err := gm.NewExec(t.Backend, t.store, func(scope *gm.Scope, inputs []*Node) []*Node {
		logits := cfg.Logits(scope.In("gpt"), inputs[0])     // [B, C, V]
		at := OneHot(inputs[1], cfg.Context, dtypes.Float32) // [B, C]: the position to read
		return []*Node{Einsum("bc,bcv->bv", at, logits)}
	})
	if err != nil {
		return nil, err
	}
	return &Predictor{t: t, exec: exec, B: b}, nil
}

// Next returns the logits [B][V] at position at[i] of each window.
func (p *Predictor) Next(windows []int32, at []int32) ([][]float32, error) {
	c := p.t.Cfg.Context
	if len(windows) != p.B*c || len(at) != p.B {
		return nil, fmt.Errorf("predictor: want %d windows of %d", p.B, c)
	}
	out, err := p.exec.Exec(tensors.FromFlatDataAndDimensions(windows, p.B, c), tensors.FromFlatDataAndDimensions(at, p.B))
	if err != nil {
		return nil, err
	}
	return logitRows(out[0], p.B, p.t.Cfg.Vocab), nil
}
