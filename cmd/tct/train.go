package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/shards"
)

// runState is RUN_DIR/state.json: what a resumed run needs beside the
// GoMLX checkpoint (weights, AdamW state, global step).
type runState struct {
	Config     model.Config       `json:"config"`
	Step       int64              `json:"step"`
	Loader     shards.LoaderState `json:"loader"`
	Shards     string             `json:"shards"`
	Tokenizer  string             `json:"tokenizer"`
	BestVal    float64            `json:"best_val_loss"`
	TokensSeen int64              `json:"tokens_seen"`
	Log        []logLine          `json:"-"`
}

// logLine is one line of RUN_DIR/log.jsonl.
type logLine struct {
	Step       int64   `json:"step"`
	Tokens     int64   `json:"tokens"`
	Loss       float64 `json:"loss,omitempty"`
	LR         float64 `json:"lr,omitempty"`
	GradNorm   float64 `json:"grad_norm,omitempty"`
	TokensPerS float64 `json:"tokens_per_s,omitempty"`
	DataWait   float64 `json:"data_wait,omitempty"` // share of step time spent waiting for batches
	ValLoss    float64 `json:"val_loss,omitempty"`
	ValBPB     float64 `json:"val_bpb,omitempty"`
}

type trainReport struct {
	Steps      int64   `json:"steps"`
	LossFirst  float64 `json:"loss_first"`
	LossLast   float64 `json:"loss_last"`
	ValLoss    float64 `json:"val_loss"`
	ValBPB     float64 `json:"val_bpb"`
	TokensPerS float64 `json:"tokens_per_s"`
	Params     int64   `json:"params"`
	FLOPsTok   int64   `json:"flops_per_token"`
	FirstStepS float64 `json:"first_step_s"`
	DataWait   float64 `json:"data_wait"`
	Backend    string  `json:"backend"`
	RunDir     string  `json:"run_dir"`
}

func newTrainCmd() *cobra.Command {
	var shardDir, cfgName, out, backend, resume string
	var sets []string
	var steps, logEvery, until int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "train --shards DIR --config NAME --out RUN_DIR",
		Short: "Train the GPT on pipeline shards (GoMLX; pure-Go backend by default)",
		Long: `train reads batches from the shards of 'tct pipeline' with the Arrow loader
(shuffled by seed and epoch, loss masked on padding) and trains the model of
configs/models.yaml (tiny, small, medium, large; --set key=value overrides any
field). The backend comes from --backend, else $GOMLX_BACKEND, else the pure-Go
backend ("go:ops_sequential"); on the GPU machine use the XLA build and
GOMLX_BACKEND=xla:/path/xla_cuda_plugin.so.

Every step is logged to RUN_DIR/log.jsonl (loss, learning rate, gradient norm,
tokens/s, share of time waiting for data); validation loss and bits per byte
every eval_every steps. Checkpoints (weights, AdamW state, step, loader state)
go to RUN_DIR/checkpoints (the last 'keep'), the best by validation loss to
RUN_DIR/best. --resume RUN_DIR continues exactly where the run stopped.
RUN_DIR/loss.png plots training and validation loss against tokens seen.`,
		Example: `  tct train --shards out/shards --config tiny --out runs/tiny --steps 20
  tct train --resume runs/tiny --steps 40`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var st runState
			if resume != "" {
				b, err := os.ReadFile(filepath.Join(resume, "state.json"))
				if err != nil {
					return fmt.Errorf("--resume: %w", err)
				}
				if err := json.Unmarshal(b, &st); err != nil {
					return fmt.Errorf("--resume %s: %w", resume, err)
				}
				out, shardDir = resume, st.Shards
				if cmd.Flags().Changed("steps") {
					st.Config.Steps = steps
				}
			} else {
				if shardDir == "" || out == "" {
					return fmt.Errorf("--shards and --out are required (or --resume RUN_DIR)")
				}
				c, err := model.LoadConfig(configs.Models, cfgName)
				if err != nil {
					return err
				}
				for _, s := range sets {
					if err := c.Set(s); err != nil {
						return err
					}
				}
				if cmd.Flags().Changed("steps") {
					c.Steps = steps
				}
				st = runState{Config: c, Shards: shardDir}
			}
			rep, err := runTraining(cmd.Context(), cmd.ErrOrStderr(), &st, out, model.BackendSpec(backend), logEvery, until, resume != "")
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			val := ""
			if rep.ValLoss > 0 {
				val = fmt.Sprintf(", val loss %.4f, val %.4f bits/byte", rep.ValLoss, rep.ValBPB)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "done: %d steps, loss %.4f → %.4f%s, %.0f tokens/s; %s\n",
				rep.Steps, rep.LossFirst, rep.LossLast, val, rep.TokensPerS, out)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&shardDir, "shards", "", "shard directory of tct pipeline")
	fs.StringVar(&cfgName, "config", "tiny", "model config: tiny, small, medium, large")
	fs.StringVarP(&out, "out", "o", "", "run directory")
	fs.StringVar(&backend, "backend", "", "GoMLX backend (default $GOMLX_BACKEND, else go:ops_sequential)")
	fs.StringVar(&resume, "resume", "", "continue the run in this directory")
	fs.StringArrayVar(&sets, "set", nil, "override a config field: key=value (repeatable)")
	fs.IntVar(&steps, "steps", 0, "train until this many steps (overrides the config)")
	fs.IntVar(&logEvery, "log-every", 10, "console line every N steps (log.jsonl has every step)")
	fs.IntVar(&until, "until", 0, "stop (with a checkpoint) at this step, keeping the schedule of --steps; --resume continues")
	fs.BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	return cmd
}

func runTraining(ctx context.Context, w io.Writer, st *runState, out, backend string, logEvery, until int, resumed bool) (*trainReport, error) {
	man, err := shards.ReadManifest(st.Shards)
	if err != nil {
		return nil, err
	}
	if st.Tokenizer != "" && st.Tokenizer != man.Tokenizer {
		return nil, fmt.Errorf("the shards in %s were made with tokenizer %s, the run with %s", st.Shards, man.Tokenizer, st.Tokenizer)
	}
	st.Tokenizer = man.Tokenizer
	c := &st.Config
	c.Vocab = man.Layout.ModelVocab
	c.Context = man.Config.Context
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	trainLoader, err := shards.OpenLoader(st.Shards, shards.LoaderOptions{Split: "train", BatchSize: c.Batch, Seed: uint64(c.Seed),
		Shuffle: true, Tokenizer: man.Tokenizer, Layout: &man.Layout})
	if err != nil {
		return nil, err
	}
	defer trainLoader.Close()
	if resumed {
		if err := trainLoader.Restore(st.Loader); err != nil {
			return nil, err
		}
	}
	bytesPerToken, err := docBytesPerToken(st.Shards, man)
	if err != nil {
		return nil, err
	}
	if v := man.Splits["val"]; c.EvalEvery > 0 && (v == nil || v.Windows == 0) {
		fmt.Fprintf(w, "no validation split in %s: no evaluation\n", st.Shards)
		c.EvalEvery = 0
	}
	tr, err := model.NewTrainer(*c, backend, filepath.Join(out, "checkpoints"))
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	rep := &trainReport{Params: c.Params(), FLOPsTok: c.FLOPsPerToken(), Backend: backend, RunDir: out, LossFirst: math.NaN()}
	fmt.Fprintf(w, "model %s: %d parameters (formula %d), %.1f MFLOPs/token, vocab %d, context %d, backend %s\n",
		c.Name, c.Params(), c.Params(), float64(c.FLOPsPerToken())/1e6, c.Vocab, c.Context, backend)
	logf, err := os.OpenFile(filepath.Join(out, "log.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	logEnc := json.NewEncoder(logf)
	var history []logLine
	if b, err := os.ReadFile(filepath.Join(out, "log.jsonl")); err == nil && resumed {
		history = readLog(b)
	}
	start := time.Now()
	var stepTime, waitTime time.Duration
	var steadyTokens int64
	checkedParams := false
	last := int64(c.Steps)
	if until > 0 && int64(until) < last {
		last = int64(until)
	}
	for step := tr.GlobalStep(); step < last; step = tr.GlobalStep() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 := time.Now()
		b, err := trainLoader.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading batches: %w", err)
		}
		t1 := time.Now()
		ss, err := tr.Step(toModelBatch(b))
		if err != nil {
			return nil, err
		}
		t2 := time.Now()
		if !checkedParams {
			checkedParams = true
			if n := tr.NumParameters(); n != c.Params() {
				return nil, fmt.Errorf("internal error: the model has %d weights, the formula says %d", n, c.Params())
			}
			rep.FirstStepS = t2.Sub(start).Seconds()
		} else {
			stepTime += t2.Sub(t0)
			waitTime += t1.Sub(t0)
			steadyTokens += int64(b.B * b.C)
		}
		st.TokensSeen += int64(b.Tokens)
		if math.IsNaN(rep.LossFirst) {
			rep.LossFirst = ss.Loss
		}
		rep.LossLast = ss.Loss
		line := logLine{Step: tr.GlobalStep(), Tokens: st.TokensSeen, Loss: ss.Loss, LR: ss.LR, GradNorm: ss.GradNorm}
		if stepTime > 0 {
			line.TokensPerS = float64(steadyTokens) / stepTime.Seconds()
			line.DataWait = waitTime.Seconds() / stepTime.Seconds()
		}
		done := tr.GlobalStep() >= last
		if c.EvalEvery > 0 && (tr.GlobalStep()%int64(c.EvalEvery) == 0 || done) {
			if line.ValLoss, line.ValBPB, err = evaluate(ctx, tr, st.Shards, man, c, bytesPerToken); err != nil {
				return nil, err
			}
			rep.ValLoss, rep.ValBPB = line.ValLoss, line.ValBPB
		}
		if err := logEnc.Encode(line); err != nil {
			return nil, err
		}
		history = append(history, line)
		if logEvery > 0 && (tr.GlobalStep()%int64(logEvery) == 0 || done || tr.GlobalStep() == 1) {
			fmt.Fprintf(w, "step %5d  loss %.4f  lr %.2e  |g| %.3f  %7.0f tok/s  wait %4.1f%%", line.Step, line.Loss, line.LR, line.GradNorm, line.TokensPerS, 100*line.DataWait)
			if line.ValLoss > 0 {
				fmt.Fprintf(w, "  val %.4f  %.4f bpb", line.ValLoss, line.ValBPB)
			}
			fmt.Fprintln(w)
		}
		st.Loader, st.Step = trainLoader.State(), tr.GlobalStep()
		if (c.CkptEvery > 0 && tr.GlobalStep()%int64(c.CkptEvery) == 0) || done {
			if err := saveRun(tr, st, out, line.ValLoss); err != nil {
				return nil, err
			}
		}
	}
	rep.Steps = tr.GlobalStep()
	if stepTime > 0 {
		rep.TokensPerS = float64(steadyTokens) / stepTime.Seconds()
		rep.DataWait = waitTime.Seconds() / stepTime.Seconds()
	}
	if err := writeLossPlot(filepath.Join(out, "loss.png"), history); err != nil {
		return nil, err
	}
	return rep, nil
}

// saveRun writes the checkpoint, then state.json (so the two always agree),
// and copies a new best checkpoint to RUN_DIR/best.
func saveRun(tr *model.Trainer, st *runState, out string, valLoss float64) error {
	if err := tr.Save(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if valLoss > 0 && (st.BestVal == 0 || valLoss < st.BestVal) { // 0: no validation yet
		st.BestVal = valLoss
		if err := copyLatestCheckpoint(filepath.Join(out, "checkpoints"), filepath.Join(out, "best")); err != nil {
			return err
		}
	}
	return shards.WriteJSONAtomic(filepath.Join(out, "state.json"), st)
}

func toModelBatch(b *shards.Batch) *model.Batch {
	return &model.Batch{B: b.B, C: b.C, Inputs: b.Inputs, Targets: b.Targets, Mask: b.Mask, Tokens: b.Tokens}
}

// evaluate runs the deterministic validation pass (at most EvalBatches
// batches) and returns the mean loss per target and bits per byte: the
// summed loss in bits over the bytes of canonical JSON the targets stand for.
func evaluate(ctx context.Context, tr *model.Trainer, dir string, man *shards.Manifest, c *model.Config, bpt map[int64]float64) (loss, bpb float64, err error) {
	l, err := shards.OpenLoader(dir, shards.LoaderOptions{Split: "val", BatchSize: c.Batch, Tokenizer: man.Tokenizer, Layout: &man.Layout})
	if err != nil {
		return 0, 0, err
	}
	defer l.Close()
	var sum, count, bytes float64
	for i := 0; c.EvalBatches <= 0 || i < c.EvalBatches; i++ {
		b, err := l.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		mb := toModelBatch(b)
		if b.B < c.Batch { // pad the last batch with masked rows: another shape would recompile the graph
			extra := (c.Batch - b.B) * b.C
			mb.Inputs = append(append([]int32{}, mb.Inputs...), make([]int32, extra)...)
			mb.Targets = append(append([]int32{}, mb.Targets...), make([]int32, extra)...)
			mb.Mask = append(append([]float32{}, mb.Mask...), make([]float32, extra)...)
			mb.B = c.Batch
		}
		s, n, err := tr.EvalSum(mb)
		if err != nil {
			return 0, 0, err
		}
		sum, count = sum+s, count+n
		for r := 0; r < b.B; r++ {
			var valid float64
			for j := 0; j < b.C; j++ {
				valid += float64(b.Mask[r*b.C+j])
			}
			bytes += valid * bpt[b.DocIDs[r]]
		}
	}
	if count == 0 || bytes == 0 {
		return 0, 0, fmt.Errorf("no validation batch of %d windows in %s", c.Batch, dir)
	}
	return sum / count, sum / math.Ln2 / bytes, nil
}

// docBytesPerToken maps each document to the bytes of canonical JSON per
// token, from the docs table (windows count bytes by their targets).
func docBytesPerToken(dir string, man *shards.Manifest) (map[int64]float64, error) {
	docs, err := shards.ReadDocs(dir, man)
	if err != nil {
		return nil, err
	}
	out := map[int64]float64{}
	for _, d := range docs {
		if d.Tokens > 0 {
			out[d.DocID] = float64(d.BytesJSON) / float64(d.Tokens)
		}
	}
	return out, nil
}

func readLog(b []byte) []logLine {
	var out []logLine
	dec := json.NewDecoder(bytesReader(b))
	for {
		var l logLine
		if dec.Decode(&l) != nil {
			return out
		}
		out = append(out, l)
	}
}
