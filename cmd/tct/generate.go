package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// sample is one generated document.
type sample struct {
	JSON      json.RawMessage `json:"json,omitempty"`
	Partial   string          `json:"partial,omitempty"`
	Complete  bool            `json:"complete"`
	Tokens    int             `json:"tokens"`
	StopCause string          `json:"stop,omitempty"`
}

type generateReport struct {
	Samples     []sample `json:"samples"`
	Constrained bool     `json:"constrained"`
	Complete    int      `json:"complete"`
	Tokens      int      `json:"tokens"`
	Seconds     float64  `json:"seconds"`
	MaskShare   float64  `json:"mask_share"` // share of the time spent computing allowed ids
	MsPerToken  float64  `json:"ms_per_token"`
}

func newGenerateCmd() *cobra.Command {
	var runDir, promptPath, format, tokPath, backend string
	var n, topK, maxTokens int
	var temp, topP float64
	var seed uint64
	var constrained, asJSON bool
	cmd := &cobra.Command{
		Use:   "generate --checkpoint RUN_DIR",
		Short: "Sample workflows from a trained model; constrained sampling can only write schema-valid ones",
		Long: `generate samples documents from a trained run (its best checkpoint, else the
latest). With --constrained (the default) every step masks the logits with the
ids the tokenizer's strict grammar allows next (merged ids included), so every
completed sample is a workflow valid under the grammar's typing.
--constrained=false samples freely, for comparison. --prompt completes a
partial workflow (YAML, e.g. everything up to "steps:").`,
		Example: `  tct generate --checkpoint runs/small -n 8
  tct generate --checkpoint runs/small --prompt partial.yml --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			tr, tok, err := loadRun(runDir, tokPath, backend)
			if err != nil {
				return err
			}
			defer tr.Close()
			var prompt []int32
			if promptPath != "" {
				if prompt, err = promptIDs(tok, promptPath); err != nil {
					return err
				}
			}
			rep, err := generate(tr, tok, genOptions{N: n, Prompt: prompt, Constrained: constrained, MaxTokens: maxTokens,
				Sampler: model.Sampler{Temperature: temp, TopK: topK, TopP: topP, Rng: rand.New(rand.NewPCG(seed, 0x7c7))}})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			w := cmd.OutOrStdout()
			for i, s := range rep.Samples {
				switch {
				case s.Complete && format == "json":
					fmt.Fprintf(w, "%s\n", s.JSON)
				case s.Complete:
					fmt.Fprintf(w, "# sample %d (%d tokens)\n", i+1, s.Tokens)
					if err := writeDoc(w, s.JSON, "yaml"); err != nil {
						return err
					}
					fmt.Fprintln(w, "---")
				default:
					fmt.Fprintf(cmd.ErrOrStderr(), "sample %d incomplete (%s) after %d tokens: %.200s\n", i+1, s.StopCause, s.Tokens, s.Partial)
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d samples complete; %.1f ms/token, %.0f%% of it computing the mask\n",
				rep.Complete, len(rep.Samples), rep.MsPerToken, 100*rep.MaskShare)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&runDir, "checkpoint", "", "run directory of tct train")
	fs.IntVarP(&n, "n", "n", 4, "samples (generated as one batch)")
	fs.StringVar(&promptPath, "prompt", "", "partial workflow (YAML) to complete")
	fs.BoolVar(&constrained, "constrained", true, "mask the logits with the grammar (strict): only valid workflows")
	fs.StringVar(&format, "format", "yaml", "yaml or json (one document per line)")
	fs.Float64Var(&temp, "temperature", 0.8, "sampling temperature (0: greedy)")
	fs.IntVar(&topK, "top-k", 50, "sample among the k most likely ids (0: all)")
	fs.Float64Var(&topP, "top-p", 0.95, "nucleus sampling threshold (1: off)")
	fs.Uint64Var(&seed, "seed", 1, "sampling seed")
	fs.IntVar(&maxTokens, "max-tokens", 0, "stop a sample after this many ids (default: the context)")
	fs.StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one; must be the run's)")
	fs.StringVar(&backend, "backend", "", "GoMLX backend (default $GOMLX_BACKEND, else go:ops_sequential)")
	fs.BoolVar(&asJSON, "json", false, "print the samples and the report as JSON")
	return cmd
}

// loadRun opens a trained run for inference.
func loadRun(runDir, tokPath, backend string) (*model.Trainer, *tokenizer.Tokenizer, error) {
	if runDir == "" {
		return nil, nil, fmt.Errorf("--checkpoint RUN_DIR is required")
	}
	b, err := os.ReadFile(filepath.Join(runDir, "state.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a training run (%w)", runDir, err)
	}
	var st runState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, nil, fmt.Errorf("%s/state.json: %w", runDir, err)
	}
	tok, err := loadTokenizer(tokPath)
	if err != nil {
		return nil, nil, err
	}
	if tok.Fingerprint != st.Tokenizer {
		return nil, nil, fmt.Errorf("the run was trained with tokenizer %s, this one is %s (use --tokenizer)", st.Tokenizer, tok.Fingerprint)
	}
	ckpt := filepath.Join(runDir, "best")
	if _, err := os.Stat(ckpt); err != nil {
		ckpt = filepath.Join(runDir, "checkpoints")
	}
	tr, err := model.NewTrainer(st.Config, model.BackendSpec(backend), ckpt)
	if err != nil {
		return nil, nil, err
	}
	return tr, tok, nil
}

// promptIDs converts a partial YAML workflow and encodes it open-ended.
func promptIDs(tok *tokenizer.Tokenizer, path string) ([]int32, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := stages.YAMLToJSON(nil, src, stages.DefaultConvertLimits())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tok.NewEncoder().EncodeOpen(doc)
}

type genOptions struct {
	N           int
	Prompt      []int32
	Constrained bool
	MaxTokens   int
	Sampler     model.Sampler
}

// generate samples N documents as one batch of windows [position 0, ids...],
// decoding one position at a time with the model's KV cache.
func generate(tr *model.Trainer, tok *tokenizer.Tokenizer, o genOptions) (*generateReport, error) {
	c := tr.Cfg.Context
	pred, err := tr.NewCachedPredictor(o.N)
	if err != nil {
		return nil, err
	}
	l := tok.Layout
	// All rows share the prompt, so they advance in lockstep: one position per step.
	window := append([]int32{l.Position(0)}, o.Prompt...)
	if len(window) >= c {
		return nil, fmt.Errorf("the prompt (%d ids) does not fit the context %d", len(o.Prompt), c)
	}
	type row struct {
		m    *tokenizer.Machine
		done bool
		s    sample
	}
	rows := make([]*row, o.N)
	for i := range rows {
		r := &row{m: tok.Grammar.NewMachine(o.Constrained)}
		for _, id := range o.Prompt {
			if err := tok.Advance(r.m, id); err != nil {
				return nil, fmt.Errorf("the prompt does not fit the grammar: %w", err)
			}
		}
		rows[i] = r
	}
	limit := c
	if o.MaxTokens > 0 && len(window)+o.MaxTokens < limit {
		limit = len(window) + o.MaxTokens
	}
	start := time.Now()
	column := make([]int32, o.N)
	var logits [][]float32
	for p, id := range window { // prefill, one position at a time
		for i := range column {
			column[i] = id
		}
		if logits, err = pred.Next(column, p); err != nil {
			return nil, err
		}
	}
	var maskTime time.Duration
	tokens := 0
	masks := make([]func(int) bool, o.N)
	for n := len(window); ; n++ {
		// The grammar masks of all rows at once (rows are independent); the
		// sampling stays sequential so that the seed decides the output.
		t0 := time.Now()
		var wg sync.WaitGroup
		for i, r := range rows {
			if r.done || n >= limit {
				continue
			}
			if !o.Constrained {
				masks[i] = func(id int) bool { return id < l.Content }
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				set := tok.AllowedIDs(r.m)
				masks[i] = func(id int) bool { return id < l.Content && set.Has(tokenizer.Token(id)) }
			}()
		}
		wg.Wait()
		maskTime += time.Since(t0)
		active := false
		for i, r := range rows {
			column[i] = int32(l.PAD)
			if r.done {
				continue
			}
			if n >= limit {
				r.done, r.s.StopCause = true, "length"
				continue
			}
			allowed := masks[i]
			id := o.Sampler.Sample(logits[i], allowed)
			if id < 0 {
				r.done, r.s.StopCause = true, "nothing allowed"
				continue
			}
			column[i] = int32(id)
			r.s.Tokens++
			tokens++
			if err := tok.Advance(r.m, int32(id)); errors.Is(err, tokenizer.ErrPastEnd) {
				r.done, r.s.StopCause = true, "id past the end"
			} else if err != nil {
				r.done, r.s.StopCause = true, "invalid: "+err.Error()
			}
			if !r.done && r.m.Done() {
				r.done, r.s.Complete = true, true
			}
			active = active || !r.done
		}
		if !active || n+1 >= c {
			for _, r := range rows {
				if !r.done {
					r.done, r.s.StopCause = true, "length"
				}
			}
			break
		}
		if logits, err = pred.Next(column, n); err != nil {
			return nil, err
		}
	}
	rep := &generateReport{Constrained: o.Constrained, Tokens: tokens, Seconds: time.Since(start).Seconds()}
	for _, r := range rows {
		if r.s.Complete {
			r.s.JSON = append(json.RawMessage(nil), r.m.JSON()...)
			rep.Complete++
		} else {
			r.s.Partial = string(r.m.JSON())
		}
		rep.Samples = append(rep.Samples, r.s)
	}
	if tokens > 0 {
		rep.MsPerToken = 1000 * rep.Seconds / float64(tokens)
		rep.MaskShare = maskTime.Seconds() / rep.Seconds
	}
	return rep, nil
}
