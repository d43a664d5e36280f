package train

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/tct-dev/tct/model"
)

// Source is where training batches come from: an endless stream (a new
// epoch follows the last batch) whose position can be saved for an exact resume.
type Source interface {
	model.Batches
	State() (json.RawMessage, error)
}

// Validation scores the model on held-out data.
type Validation func(ctx context.Context, tr *model.Trainer) (Val, error)

// Val is a validation result: the mean loss per target (nats) and bits per
// byte of canonical JSON; Partial when only part of the split was scored.
type Val struct {
	Loss, BPB float64
	Partial   bool
}

// Options steer Fit; the schedule and the cadence of evaluation and
// checkpoints come from the run's model.Config.
type Options struct {
	Until    int64      // stop (with a checkpoint) at this step, keeping the schedule; 0: its end
	LogEvery int        // a console line every N steps (log.jsonl has every step)
	Console  io.Writer  // progress lines (nil: none)
	Validate Validation // nil: no evaluation
}

// Report sums up a Fit.
type Report struct {
	Steps      int64   `json:"steps"`
	LossFirst  float64 `json:"loss_first"`
	LossLast   float64 `json:"loss_last"`
	ValLoss    float64 `json:"val_loss"`
	ValBPB     float64 `json:"val_bpb"`
	TokensPerS float64 `json:"tokens_per_s"`
	// RealTokensPerS counts only the targets that are real tokens (not padding).
	RealTokensPerS float64 `json:"real_tokens_per_s"`
	Params         int64   `json:"params"`
	FLOPsTok       int64   `json:"flops_per_token"`
	FirstStepS     float64 `json:"first_step_s"`
	DataWait       float64 `json:"data_wait"`
	Backend        string  `json:"backend"`
	RunDir         string  `json:"run_dir"`
}

// fit is the state of one Fit call: timing and the open log.
type fit struct {
	run                *Run
	tr                 *model.Trainer
	src                Source
	o                  Options
	rep                *Report
	log                *json.Encoder
	start              time.Time
	stepTime, waitTime time.Duration
	steadyTokens       int64
	steadyReal         int64 // of them, real (unmasked) targets
	last               int64
	stepped            bool // a step of this call has run (the first one compiles)
}

// Fit trains tr on src until the schedule's last step (or o.Until), logging
// every step to the run's log.jsonl, validating every EvalEvery steps and
// checkpointing every CkptEvery steps and at the end; it ends with the loss plot.
func Fit(ctx context.Context, run *Run, tr *model.Trainer, src Source, o Options) (*Report, error) {
	c := tr.Cfg
	f := &fit{run: run, tr: tr, src: src, o: o, start: time.Now(), last: int64(c.Steps),
		rep: &Report{Params: c.Params(), FLOPsTok: c.FLOPsPerToken(), RunDir: run.Dir, LossFirst: math.NaN()}}
	if o.Until > 0 && o.Until < f.last {
		f.last = o.Until
	}
	logf, err := os.OpenFile(filepath.Join(run.Dir, logName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	f.log = json.NewEncoder(logf)
	for tr.GlobalStep() < f.last {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := f.step(ctx); err != nil {
			return nil, err
		}
	}
	f.rep.Steps = tr.GlobalStep()
	if f.stepTime > 0 {
		f.rep.TokensPerS = float64(f.steadyTokens) / f.stepTime.Seconds()
		f.rep.RealTokensPerS = float64(f.steadyReal) / f.stepTime.Seconds()
		f.rep.DataWait = f.waitTime.Seconds() / f.stepTime.Seconds()
	}
	if err := PlotLoss(filepath.Join(run.Dir, PlotName), run.History); err != nil {
		return nil, err
	}
	return f.rep, nil
}

// step trains on one batch, then logs, validates and checkpoints as due.
func (f *fit) step(ctx context.Context) error {
	t0 := time.Now()
	b, err := f.src.Next(ctx)
	if err != nil {
		return fmt.Errorf("reading batches: %w", err)
	}
	t1 := time.Now()
	ss, err := f.tr.Step(b)
	if err != nil {
		return err
	}
	if err := f.account(b, t0, t1, time.Now()); err != nil {
		return err
	}
	st := &f.run.State
	st.TokensSeen += int64(b.Tokens)
	if math.IsNaN(f.rep.LossFirst) {
		f.rep.LossFirst = ss.Loss
	}
	f.rep.LossLast = ss.Loss
	step := f.tr.GlobalStep()
	line := Line{Step: step, Tokens: st.TokensSeen, Loss: ss.Loss, LR: ss.LR, GradNorm: ss.GradNorm}
	if f.stepTime > 0 {
		line.TokensPerS = float64(f.steadyTokens) / f.stepTime.Seconds()
		line.DataWait = f.waitTime.Seconds() / f.stepTime.Seconds()
	}
	done := step >= f.last
	c := f.tr.Cfg
	if f.o.Validate != nil && c.EvalEvery > 0 && (step%int64(c.EvalEvery) == 0 || done) {
		v, err := f.o.Validate(ctx, f.tr)
		if err != nil {
			return err
		}
		line.ValLoss, line.ValBPB, line.ValPartial = v.Loss, v.BPB, v.Partial
		f.rep.ValLoss, f.rep.ValBPB = line.ValLoss, line.ValBPB
	}
	if err := f.record(line, done); err != nil {
		return err
	}
	if st.Loader, err = f.src.State(); err != nil {
		return err
	}
	st.Step = step
	if (c.CkptEvery > 0 && step%int64(c.CkptEvery) == 0) || done {
		return f.run.save(f.tr, line.ValLoss)
	}
	return nil
}

// account times a step: the first one (compilation) apart, the rest as
// steady-state throughput and data wait; it checks the weight count once.
func (f *fit) account(b *model.Batch, t0, t1, t2 time.Time) error {
	if !f.stepped {
		f.stepped = true
		if n, want := f.tr.NumParameters(), f.tr.Cfg.Params(); n != want {
			return fmt.Errorf("internal error: the model has %d weights, the formula says %d", n, want)
		}
		f.rep.FirstStepS = t2.Sub(f.start).Seconds()
		return nil
	}
	f.stepTime += t2.Sub(t0)
	f.waitTime += t1.Sub(t0)
	f.steadyTokens += int64(b.B * b.C)
	f.steadyReal += int64(b.Tokens)
	return nil
}

// record appends a log line and prints it when due.
func (f *fit) record(line Line, done bool) error {
	if err := f.log.Encode(line); err != nil {
		return err
	}
	f.run.History = append(f.run.History, line)
	every := int64(f.o.LogEvery)
	if f.o.Console == nil || every <= 0 || !(line.Step%every == 0 || done || line.Step == 1) {
		return nil
	}
	w := f.o.Console
	fmt.Fprintf(w, "step %5d  loss %.4f  lr %.2e  |g| %.3f  %7.0f tok/s  wait %4.1f%%", line.Step, line.Loss, line.LR, line.GradNorm, line.TokensPerS, 100*line.DataWait)
	if line.ValLoss > 0 {
		fmt.Fprintf(w, "  val %.4f  %.4f bpb", line.ValLoss, line.ValBPB)
		if line.ValPartial {
			fmt.Fprint(w, " (partial)")
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}
