// Package sample writes workflows with a trained model: a batch of rows
// decoded together with the model's KV cache, each row followed by a
// tokenizer machine that masks the logits to what the grammar allows
// (constrained) or only watches (unconstrained).
package sample

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/tokenizer"
)

// Sample is one generated document.
type Sample struct {
	JSON      json.RawMessage `json:"json,omitempty"`
	Partial   string          `json:"partial,omitempty"`
	Complete  bool            `json:"complete"`
	Tokens    int             `json:"tokens"`
	StopCause string          `json:"stop,omitempty"`
}

// Report is the outcome of one Generate call.
type Report struct {
	Samples     []Sample `json:"samples"`
	Constrained bool     `json:"constrained"`
	Complete    int      `json:"complete"`
	Tokens      int      `json:"tokens"`
	Seconds     float64  `json:"seconds"`
	MaskShare   float64  `json:"mask_share"` // share of the time spent computing allowed ids
	MsPerToken  float64  `json:"ms_per_token"`
}

// Options say what to sample.
type Options struct {
	N           int     // samples, generated as one batch
	Prompt      []int32 // ids every sample starts with (tokenizer.Encoder.EncodeOpen)
	Constrained bool    // mask the logits with the strict grammar
	MaxTokens   int     // stop a sample after this many ids (0: the context)
	Sampler     model.Sampler
}

// row is one sample in the making.
type row struct {
	m    *tokenizer.Machine
	done bool
	s    Sample
}

// Generate samples o.N documents as one batch of windows [position 0, ids...],
// decoding one position at a time with the model's KV cache.
func Generate(tr *model.Trainer, tok *tokenizer.Tokenizer, o Options) (*Report, error) {
	c := tr.Cfg.Context
	// All rows share the prompt, so they advance in lockstep: one position per step.
	window := append([]int32{tok.Layout.Position(0)}, o.Prompt...)
	if len(window) >= c {
		return nil, fmt.Errorf("the prompt (%d ids) does not fit the context %d", len(o.Prompt), c)
	}
	rows, err := newRows(tok, o)
	if err != nil {
		return nil, err
	}
	pred, err := tr.NewCachedPredictor(o.N)
	if err != nil {
		return nil, err
	}
	limit := c
	if o.MaxTokens > 0 && len(window)+o.MaxTokens < limit {
		limit = len(window) + o.MaxTokens
	}
	start := time.Now()
	logits, err := prefill(pred, window, o.N)
	if err != nil {
		return nil, err
	}
	g := &generation{tok: tok, o: o, rows: rows, column: make([]int32, o.N), masks: make([]func(int) bool, o.N)}
	for n := len(window); ; n++ {
		if !g.advance(logits, n, limit) || n+1 >= c {
			g.stopAll("length")
			break
		}
		if logits, err = pred.Next(g.column, n); err != nil {
			return nil, err
		}
	}
	return g.report(time.Since(start)), nil
}

// newRows starts a machine per row and feeds it the prompt.
func newRows(tok *tokenizer.Tokenizer, o Options) ([]*row, error) {
	if o.Constrained && tok.Kind() == tokenizer.KindBPE {
		return nil, fmt.Errorf("a plain BPE tokenizer has no grammar to constrain sampling with: sample with --constrained=false")
	}
	rows := make([]*row, o.N)
	for i := range rows {
		r := &row{m: tok.NewMachine(o.Constrained)}
		for _, id := range o.Prompt {
			if err := tok.Advance(r.m, id); err != nil {
				return nil, fmt.Errorf("the prompt does not fit the grammar: %w", err)
			}
		}
		rows[i] = r
	}
	return rows, nil
}

// prefill feeds the shared window one position at a time and returns the
// logits after its last id.
func prefill(pred *model.CachedPredictor, window []int32, n int) ([][]float32, error) {
	column := make([]int32, n)
	var logits [][]float32
	for p, id := range window {
		for i := range column {
			column[i] = id
		}
		var err error
		if logits, err = pred.Next(column, p); err != nil {
			return nil, err
		}
	}
	return logits, nil
}

// generation is the state shared by the steps of one Generate call.
type generation struct {
	tok      *tokenizer.Tokenizer
	o        Options
	rows     []*row
	column   []int32          // the ids fed at the next position, one per row
	masks    []func(int) bool // the ids each row may take next
	maskTime time.Duration
	tokens   int
}

// advance samples position n of every live row; it reports whether a row is still live.
func (g *generation) advance(logits [][]float32, n, limit int) bool {
	g.computeMasks(n, limit)
	l := g.tok.Layout
	active := false
	for i, r := range g.rows {
		g.column[i] = int32(l.PAD)
		if r.done {
			continue
		}
		if n >= limit {
			r.done, r.s.StopCause = true, "length"
			continue
		}
		id := g.o.Sampler.Sample(logits[i], g.masks[i])
		if id < 0 {
			r.done, r.s.StopCause = true, "nothing allowed"
			continue
		}
		g.column[i] = int32(id)
		r.s.Tokens++
		g.tokens++
		if err := g.tok.Advance(r.m, int32(id)); errors.Is(err, tokenizer.ErrPastEnd) {
			r.done, r.s.StopCause = true, "id past the end"
		} else if err != nil {
			r.done, r.s.StopCause = true, "invalid: "+err.Error()
		}
		if !r.done && r.m.Done() {
			r.done, r.s.Complete = true, true
		}
		active = active || !r.done
	}
	return active
}

// computeMasks finds the allowed ids of all live rows at once (rows are
// independent); sampling stays sequential so that the seed decides the output.
func (g *generation) computeMasks(n, limit int) {
	t0 := time.Now()
	content := g.tok.Layout.Content
	var wg sync.WaitGroup
	for i, r := range g.rows {
		if r.done || n >= limit {
			continue
		}
		if !g.o.Constrained {
			g.masks[i] = func(id int) bool { return id < content }
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			set := g.tok.AllowedIDs(r.m)
			g.masks[i] = func(id int) bool { return id < content && set.Has(tokenizer.Token(id)) }
		}()
	}
	wg.Wait()
	g.maskTime += time.Since(t0)
}

// stopAll ends the rows still live.
func (g *generation) stopAll(cause string) {
	for _, r := range g.rows {
		if !r.done {
			r.done, r.s.StopCause = true, cause
		}
	}
}

func (g *generation) report(elapsed time.Duration) *Report {
	rep := &Report{Constrained: g.o.Constrained, Tokens: g.tokens, Seconds: elapsed.Seconds()}
	for _, r := range g.rows {
		if r.s.Complete {
			r.s.JSON = append(json.RawMessage(nil), r.m.JSON()...)
			rep.Complete++
		} else {
			r.s.Partial = string(r.m.JSON())
		}
		rep.Samples = append(rep.Samples, r.s)
	}
	if g.tokens > 0 {
		rep.MsPerToken = 1000 * rep.Seconds / float64(g.tokens)
		rep.MaskShare = g.maskTime.Seconds() / rep.Seconds
	}
	return rep
}
