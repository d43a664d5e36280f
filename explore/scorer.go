package explore

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/model/train"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

// scorer is a trained run loaded for inference: the loss of every id of a
// document and the model's choices at a position. One request at a time
// uses the model.
type scorer struct {
	mu  sync.Mutex
	tr  *model.Trainer
	sc  *model.Scorer
	tok *tokenizer.Tokenizer
}

// loadScorer opens the run in dir; it must have been trained with tok.
func loadScorer(dir string, tok *tokenizer.Tokenizer) (*scorer, error) {
	run, err := train.Open(dir)
	if err != nil {
		return nil, err
	}
	if run.State.Tokenizer != tok.Fingerprint {
		return nil, fmt.Errorf("%s was trained with tokenizer %s, this one is %s (use --tokenizer)", dir, run.State.Tokenizer, tok.Fingerprint)
	}
	tr, err := run.LoadForInference(model.BackendSpec(""))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	sc, err := tr.NewScorer()
	if err != nil {
		tr.Close()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &scorer{tr: tr, sc: sc, tok: tok}, nil
}

func (s *scorer) close() { s.tr.Close() }

// logProbs runs the window of ids that starts at start (cut like the
// pipeline cuts documents: [position token, ids...]) and returns row i, the
// log-probabilities of ids[start+i], for i up to end-start.
func (s *scorer) logProbs(ids []int32, start, end int) ([][]float32, error) {
	in := make([]int32, 0, end-start)
	in = append(append(in, s.tok.Layout.Position(start)), ids[start:end-1]...)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sc.LogProbs(in)
}

// bits returns the model's loss in bits on every id of a document. An id in
// two windows keeps the loss of the first, where it has more context.
func (s *scorer) bits(ids []int32) ([]float64, error) {
	c := s.tr.Cfg.Context
	out := make([]float64, len(ids))
	done := 0
	for _, st := range shards.Starts(len(ids), c, c) {
		end := min(st+c, len(ids))
		rows, err := s.logProbs(ids, st, end)
		if err != nil {
			return nil, err
		}
		for i := max(done, st); i < end; i++ {
			out[i] = -float64(rows[i-st][ids[i]]) / math.Ln2
		}
		done = end
	}
	return out, nil
}

// Choice is an id the grammar allows at a position, with the model's
// probability of it.
type Choice struct {
	ID   int32   `json:"id"`
	Text string  `json:"text"`
	Kind string  `json:"kind"`
	P    float64 `json:"p"`
}

// ranked returns the k allowed ids the model likes best at position pos,
// and the share of the model's probability on the allowed ids.
func (s *scorer) ranked(ids []int32, pos int, allowed []tokenizer.Token, k int) ([]Choice, float64, error) {
	c := s.tr.Cfg.Context
	st := 0
	for _, x := range shards.Starts(len(ids), c, c) {
		if x <= pos && pos < x+c {
			st = x
			break
		}
	}
	rows, err := s.logProbs(ids, st, min(st+c, len(ids)))
	if err != nil {
		return nil, 0, err
	}
	row := rows[pos-st]
	out := make([]Choice, len(allowed))
	mass := 0.0
	for i, id := range allowed {
		out[i] = Choice{ID: int32(id), P: math.Exp(float64(row[id]))}
		mass += out[i].P
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].P > out[j].P })
	return out[:min(k, len(out))], mass, nil
}
