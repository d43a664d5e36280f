package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	gm "github.com/gomlx/gomlx/ml/model"
)

// Sampler draws a token from logits: temperature, top-k, top-p (nucleus),
// only among allowed ids. Temperature 0 is greedy.
type Sampler struct {
	Temperature float64
	TopK        int
	TopP        float64
	Rng         *rand.Rand
}

// Sample returns an allowed id, or -1 when nothing is allowed.
func (s Sampler) Sample(logits []float32, allowed func(id int) bool) int {
	type cand struct {
		id int
		l  float64
	}
	cands := make([]cand, 0, 256)
	for id, l := range logits {
		if allowed(id) && !math.IsNaN(float64(l)) {
			cands = append(cands, cand{id, float64(l)})
		}
	}
	if len(cands) == 0 {
		return -1
	}
	sort.Slice(cands, func(i, j int) bool {
		return cands[i].l > cands[j].l || cands[i].l == cands[j].l && cands[i].id < cands[j].id
	})
	if s.Temperature <= 0 {
		return cands[0].id
	}
	if s.TopK > 0 && len(cands) > s.TopK {
		cands = cands[:s.TopK]
	}
	probs := make([]float64, len(cands))
	var sum float64
	for i, c := range cands {
		probs[i] = math.Exp((c.l - cands[0].l) / s.Temperature)
		sum += probs[i]
	}
	if s.TopP > 0 && s.TopP < 1 {
		var acc float64
		for i := range probs {
			acc += probs[i] / sum
			if acc >= s.TopP {
				probs, cands = probs[:i+1], cands[:i+1]
				break
			}
		}
		sum = 0
		for _, p := range probs {
			sum += p
		}
	}
	r := s.Rng.Float64() * sum
	for i, p := range probs {
		if r -= p; r <= 0 {
			return cands[i].id
		}
	}
	return cands[len(cands)-1].id
}

// CachedPredictor decodes one position at a time with a KV cache: each step
// costs one token's worth of work instead of a whole window.
type CachedPredictor struct {
	t      *Trainer
	exec   *gm.Exec
	B      int
	caches []*tensors.Tensor
}

// NewCachedPredictor compiles the incremental step for batches of b rows.
func (t *Trainer) NewCachedPredictor(b int) (*CachedPredictor, error) {
	cfg := t.Cfg
	exec, err := gm.NewExec(t.Backend, t.store, func(scope *gm.Scope, inputs []*Node) []*Node {
		logits, caches := cfg.Step(scope.In("gpt"), inputs[0], inputs[1], inputs[2:])
		return append([]*Node{logits}, caches...)
	})
	if err != nil {
		return nil, err
	}
	p := &CachedPredictor{t: t, exec: exec, B: b}
	p.Reset()
	return p, nil
}

// Reset empties the caches (a new batch of documents).
func (p *CachedPredictor) Reset() {
	for _, c := range p.caches {
		c.FinalizeAll()
	}
	cfg := p.t.Cfg
	p.caches = make([]*tensors.Tensor, 2*cfg.Layers)
	for i := range p.caches {
		p.caches[i] = tensors.FromFlatDataAndDimensions(make([]float32, p.B*cfg.Context*cfg.DModel), p.B, cfg.Context, cfg.Heads, cfg.DModel/cfg.Heads)
	}
}

// Next feeds tokens [B] at position pos (all rows at the same position) and
// returns the logits [B][V] for position pos+1.
func (p *CachedPredictor) Next(tokens []int32, pos int) ([][]float32, error) {
	if pos >= p.t.Cfg.Context {
		return nil, fmt.Errorf("position %d past the context %d", pos, p.t.Cfg.Context)
	}
	args := []any{tensors.FromFlatDataAndDimensions(tokens, p.B), tensors.FromScalar(int32(pos))}
	for _, c := range p.caches {
		args = append(args, c)
	}
	out, err := p.exec.Exec(args...)
	if err != nil {
		return nil, err
	}
	for i, c := range p.caches {
		c.FinalizeAll()
		p.caches[i] = out[1+i]
	}
	return logitRows(out[0], p.B, p.t.Cfg.Vocab), nil
}

// logitRows copies logits [B, V] to the host, one slice per row, and frees the tensor.
func logitRows(t *tensors.Tensor, b, v int) [][]float32 {
	defer t.FinalizeAll()
	flat := tensors.MustCopyFlatData[float32](t)
	rows := make([][]float32, b)
	for i := range rows {
		rows[i] = flat[i*v : (i+1)*v]
	}
	return rows
}
