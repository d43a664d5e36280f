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
	Tokens    int             `json:"tokens"`           // ids sampled from the model
	Forced    int             `json:"forced,omitempty"` // ids of the forced close (tokenizer.Completion)
	StopCause string          `json:"stop,omitempty"`
}

// Report is the outcome of one Generate call.
type Report struct {
	Samples     []Sample `json:"samples"`
	Constrained bool     `json:"constrained"`
	Complete    int      `json:"complete"`
	ForcedClose int      `json:"forced_close"` // complete samples the budget ran out on, closed by the grammar
	Tokens      int      `json:"tokens"`
	Seconds     float64  `json:"seconds"`
	TokensPerS  float64  `json:"tokens_per_s"` // sampled ids of all rows per second
	MaskShare   float64  `json:"mask_share"`   // share of the time the mask adds (what the forward pass does not hide)
	MsPerToken  float64  `json:"ms_per_token"`
	Windows     int      `json:"windows"` // windows the batch went through (1: it stayed in the first)
}

// DefaultMaxTokens bounds a sample (not the context: past the context
// generation slides its window).
const DefaultMaxTokens = 4096

// Options say what to sample.
type Options struct {
	N           int     // samples, generated as one batch
	Prompt      []int32 // ids every sample starts with (tokenizer.Encoder.EncodeOpen)
	Constrained bool    // mask the logits with the strict grammar; close a sample the budget runs out on
	MaxTokens   int     // ids sampled per sample at most (0: DefaultMaxTokens)
	Sampler     model.Sampler
}

// row is one sample in the making.
type row struct {
	m    *tokenizer.Machine
	done bool
	s    Sample
}

// Generate samples o.N documents as one batch. Rows advance in lockstep, one
// position per step, with the model's KV cache. When the window is full a
// new one starts the way the pipeline cuts documents: its position token,
// then the last half context of the ids so far; the grammar machines keep
// the whole document. When the budget runs out, constrained rows are closed
// by the grammar (tokenizer.Completion).
func Generate(tr *model.Trainer, tok *tokenizer.Tokenizer, o Options) (*Report, error) {
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	if len(o.Prompt)+1 >= tr.Cfg.Context {
		return nil, fmt.Errorf("the prompt (%d ids) does not fit the context %d", len(o.Prompt), tr.Cfg.Context)
	}
	rows, err := newRows(tok, o)
	if err != nil {
		return nil, err
	}
	pred, err := tr.NewCachedPredictor(o.N)
	if err != nil {
		return nil, err
	}
	g := &generation{tok: tok, o: o, rows: rows, pred: pred, ctx: tr.Cfg.Context, column: make([]int32, o.N),
		masks: make([]func(int) bool, o.N), ids: make([][]int32, o.N)}
	for i := range g.ids {
		g.ids[i] = append([]int32(nil), o.Prompt...)
	}
	start := time.Now()
	if err := g.run(); err != nil {
		return nil, err
	}
	if o.Constrained {
		if err := g.closeAll(); err != nil {
			return nil, err
		}
	}
	g.stopAll("length")
	return g.report(time.Since(start)), nil
}

// run samples until every row is done or the budget is spent.
func (g *generation) run() error {
	logits, n, err := g.window(0)
	if err != nil {
		return err
	}
	for step := 0; step < g.o.MaxTokens; step++ {
		if !g.advance(logits) {
			return nil
		}
		for i := range g.ids {
			g.ids[i] = append(g.ids[i], g.column[i])
		}
		if n+1 >= g.ctx { // the window is full: go on in the next one
			if logits, n, err = g.window(len(g.ids[0]) - g.ctx/2); err != nil {
				return err
			}
			continue
		}
		if logits, err = g.next(n); err != nil {
			return err
		}
		n++
	}
	return nil
}

// window starts a window at document offset from (empty caches) and feeds it
// the position token and every row's ids from there; it returns the logits
// for the next position and that position.
func (g *generation) window(from int) ([][]float32, int, error) {
	from = max(from, 0)
	g.pred.Reset()
	g.windows++
	column := make([]int32, len(g.rows))
	for i := range column {
		column[i] = g.tok.Layout.Position(from)
	}
	logits, err := g.pred.Next(column, 0)
	if err != nil {
		return nil, 0, err
	}
	n := len(g.ids[0]) - from
	for p := 0; p < n; p++ {
		for i := range column {
			column[i] = g.ids[i][from+p]
		}
		if logits, err = g.pred.Next(column, p+1); err != nil {
			return nil, 0, err
		}
	}
	return logits, n + 1, nil
}

// closeAll closes the rows the budget ran out on with the grammar's shortest
// continuation: such a sample is complete and counted as forced.
func (g *generation) closeAll() error {
	for _, r := range g.rows {
		if r.done {
			continue
		}
		ids, err := g.tok.Completion(r.m)
		if err != nil {
			return fmt.Errorf("closing a sample: %w", err)
		}
		for _, id := range ids {
			if err := g.tok.Advance(r.m, id); err != nil {
				return fmt.Errorf("closing a sample: %w", err)
			}
		}
		r.done, r.s.Complete, r.s.Forced = true, true, len(ids)
	}
	return nil
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

// generation is the state shared by the steps of one Generate call.
type generation struct {
	tok      *tokenizer.Tokenizer
	o        Options
	pred     *model.CachedPredictor
	ctx      int       // the model's context
	ids      [][]int32 // per row: the prompt and every id sampled (PAD after the row is done)
	windows  int
	ready    bool // masks hold the next step's (computed beside the forward pass)
	rows     []*row
	column   []int32          // the ids fed at the next position, one per row
	masks    []func(int) bool // the ids each row may take next
	maskTime time.Duration
	tokens   int
}

// advance samples the next id of every live row; it reports whether a row is still live.
func (g *generation) advance(logits [][]float32) bool {
	if !g.ready {
		t0 := time.Now()
		g.computeMasks()
		g.maskTime += time.Since(t0)
	}
	g.ready = false
	l := g.tok.Layout
	active := false
	for i, r := range g.rows {
		g.column[i] = int32(l.PAD)
		if r.done {
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
func (g *generation) computeMasks() {
	content := g.tok.Layout.Content
	var wg sync.WaitGroup
	for i, r := range g.rows {
		if r.done {
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
}

// next runs the model on the ids just sampled while the masks of the next
// step are computed on the CPU: the time the mask adds is only what the
// forward pass does not hide.
func (g *generation) next(n int) ([][]float32, error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if g.o.Constrained {
			g.computeMasks()
		}
	}()
	logits, err := g.pred.Next(g.column, n)
	t0 := time.Now()
	<-done
	g.maskTime += time.Since(t0)
	g.ready = g.o.Constrained
	return logits, err
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
	rep := &Report{Constrained: g.o.Constrained, Tokens: g.tokens, Seconds: elapsed.Seconds(), Windows: g.windows}
	for _, r := range g.rows {
		if r.s.Complete {
			r.s.JSON = append(json.RawMessage(nil), r.m.JSON()...)
			rep.Complete++
			if r.s.Forced > 0 {
				rep.ForcedClose++
			}
		} else {
			r.s.Partial = string(r.m.JSON())
		}
		rep.Samples = append(rep.Samples, r.s)
	}
	if g.tokens > 0 {
		rep.TokensPerS = float64(g.tokens) / rep.Seconds
		rep.MsPerToken = 1000 * rep.Seconds / float64(g.tokens)
		rep.MaskShare = g.maskTime.Seconds() / rep.Seconds
	}
	return rep
}
