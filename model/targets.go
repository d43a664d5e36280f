package model

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	gm "github.com/gomlx/gomlx/ml/model"
)

// Scorer runs the whole model over one window at a time and returns the
// log-probabilities of every next id: the per-target loss EvalSum sums up.
// It is not safe for concurrent use.
type Scorer struct {
	t    *Trainer
	exec *gm.Exec
}

// NewScorer compiles the forward pass of one window of the model's context.
func (t *Trainer) NewScorer() (*Scorer, error) {
	cfg := t.Cfg
	exec, err := gm.NewExec(t.Backend, t.store, func(scope *gm.Scope, inputs []*Node) []*Node {
		return []*Node{LogSoftmax(cfg.Logits(scope.In("gpt"), inputs[0]), -1)}
	})
	if err != nil {
		return nil, err
	}
	return &Scorer{t: t, exec: exec}, nil
}

// LogProbs returns, for each position i of window (at most the context),
// the natural log-probabilities over the model vocabulary of the id at i+1.
// The window is padded to the context; causal attention keeps the padding
// out of the positions returned.
func (s *Scorer) LogProbs(window []int32) ([][]float32, error) {
	c, v := s.t.Cfg.Context, s.t.Cfg.Vocab
	if len(window) == 0 || len(window) > c {
		return nil, fmt.Errorf("a window of %d ids: want 1 to the context %d", len(window), c)
	}
	in := make([]int32, c)
	copy(in, window)
	out, err := s.exec.Exec(tensors.FromFlatDataAndDimensions(in, 1, c))
	if err != nil {
		return nil, err
	}
	defer out[0].FinalizeAll()
	flat, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	rows := make([][]float32, len(window))
	for i := range rows {
		rows[i] = flat[i*v : (i+1)*v : (i+1)*v]
	}
	return rows, nil
}
