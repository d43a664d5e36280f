package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/model/eval"
	"github.com/tct-dev/tct/model/train"
	"github.com/tct-dev/tct/shards"
)

// TrainConfig configures `tct train`.
type TrainConfig struct {
	Shards  string   // shard directory of `tct pipeline`
	Out     string   // run directory
	Model   string   // a configuration of configs/models.yaml
	Sets    []string // key=value overrides of the model configuration
	Steps   int      // train until this step (0: the configuration's)
	Resume  string   // continue the run in this directory
	Backend string   // GoMLX backend spec
	// Tokenizer is the shards' tokenizer file ("": the embedded one); with
	// it validation counts the exact bytes of the targets it scores.
	Tokenizer string
	LogEvery  int // console line every N steps
	Until     int // stop at this step, keeping the schedule of Steps
	// AllowIncomplete trains on a shard set whose manifest says complete: false.
	AllowIncomplete bool
}

// Train trains the model on pipeline shards, new or resumed, into a run directory.
func Train(ctx context.Context, cfg TrainConfig, console io.Writer) (*train.Report, error) {
	run, err := openRun(cfg)
	if err != nil {
		return nil, err
	}
	man, err := shards.ReadManifestWith(run.State.Shards, shards.ReadOptions{AllowIncomplete: cfg.AllowIncomplete})
	if err != nil {
		return nil, err
	}
	st := &run.State
	if st.Tokenizer != "" && st.Tokenizer != man.Tokenizer {
		return nil, fmt.Errorf("the shards in %s were made with tokenizer %s, the run with %s", st.Shards, man.Tokenizer, st.Tokenizer)
	}
	st.Tokenizer = man.Tokenizer
	c := &st.Config
	c.Vocab, c.Context = man.Layout.ModelVocab, man.Config.Context
	src, err := trainBatches(st, man, cfg.Resume != "")
	if err != nil {
		return nil, err
	}
	defer src.l.Close()
	validate, err := validation(run, man, cfg.Tokenizer, console)
	if err != nil {
		return nil, err
	}
	backend := model.BackendSpec(cfg.Backend)
	tr, err := run.NewTrainer(backend)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	fmt.Fprintf(console, "model %s: %d parameters (formula %d), %.1f MFLOPs/token, vocab %d, context %d, backend %s\n",
		c.Name, c.Params(), c.Params(), float64(c.FLOPsPerToken())/1e6, c.Vocab, c.Context, backend)
	rep, err := train.Fit(ctx, run, tr, src, train.Options{Until: int64(cfg.Until), LogEvery: cfg.LogEvery, Console: console, Validate: validate})
	if err != nil {
		return nil, err
	}
	rep.Backend = backend
	return rep, nil
}

// openRun resumes the run of cfg.Resume or starts a new one.
func openRun(cfg TrainConfig) (*train.Run, error) {
	if cfg.Resume != "" {
		return resumeRun(cfg)
	}
	if cfg.Shards == "" || cfg.Out == "" {
		return nil, fmt.Errorf("--shards and --out are required (or --resume RUN_DIR)")
	}
	if entries, err := os.ReadDir(cfg.Out); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("--out %s is not empty: continue its run with --resume %s, or train into another directory", cfg.Out, cfg.Out)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	c, err := model.LoadConfig(configs.Models, cfg.Model)
	if err != nil {
		return nil, err
	}
	for _, s := range cfg.Sets {
		if err := c.Set(s); err != nil {
			return nil, err
		}
	}
	if cfg.Steps > 0 {
		c.Steps = cfg.Steps
	}
	return train.Create(cfg.Out, train.State{Config: c, Shards: cfg.Shards})
}

// DefaultModel is the model configuration of a new run without --config.
const DefaultModel = "tiny"

// resumeRun opens the run of cfg.Resume; a flag that would change what the
// run is (its data, model or directory) is refused, not ignored.
func resumeRun(cfg TrainConfig) (*train.Run, error) {
	run, err := train.Open(cfg.Resume)
	if err != nil {
		return nil, fmt.Errorf("--resume: %w", err)
	}
	st := run.State
	switch {
	case cfg.Shards != "" && filepath.Clean(cfg.Shards) != filepath.Clean(st.Shards):
		return nil, fmt.Errorf("--shards %s: the run in %s trains on %s; a resumed run keeps its shards", cfg.Shards, cfg.Resume, st.Shards)
	case cfg.Model != "" && cfg.Model != st.Config.Name:
		return nil, fmt.Errorf("--config %s: the run in %s is a %s model; a resumed run keeps its model", cfg.Model, cfg.Resume, st.Config.Name)
	case len(cfg.Sets) > 0:
		return nil, fmt.Errorf("--set %s: a resumed run keeps its configuration (start a new run to change it)", cfg.Sets[0])
	case cfg.Out != "" && filepath.Clean(cfg.Out) != filepath.Clean(cfg.Resume):
		return nil, fmt.Errorf("--out %s: a resumed run stays in its directory %s", cfg.Out, cfg.Resume)
	}
	if cfg.Steps > 0 {
		run.State.Config.Steps = cfg.Steps
	}
	return run, nil
}

// trainBatches opens the shuffled training stream, restored to where a resumed run stood.
func trainBatches(st *train.State, man *shards.Manifest, resumed bool) (*loaderBatches, error) {
	c := st.Config
	l, err := shards.OpenLoader(st.Shards, shards.LoaderOptions{Split: "train", BatchSize: c.Batch, Seed: uint64(c.Seed),
		Shuffle: true, Tokenizer: man.Tokenizer, Layout: &man.Layout, AllowIncomplete: !man.Complete}) // man was read as allowed
	if err != nil {
		return nil, err
	}
	if resumed {
		var ls shards.LoaderState
		err := json.Unmarshal(st.Loader, &ls)
		if err == nil {
			err = l.Restore(ls)
		}
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("resume the loader of %s: %w", st.Shards, err)
		}
	}
	return &loaderBatches{l: l}, nil
}

// validation is the evaluation hook of a run: a pass over at most
// EvalBatches batches of windows of the validation split (nil when there is
// none). With the shards' tokenizer at hand every target counts its exact
// bytes; without it, the average bytes per token of its document.
func validation(run *train.Run, man *shards.Manifest, tokPath string, console io.Writer) (train.Validation, error) {
	c := &run.State.Config
	if v := man.Splits["val"]; c.EvalEvery > 0 && (v == nil || v.Windows == 0) {
		fmt.Fprintf(console, "no validation split in %s: no evaluation\n", run.State.Shards)
		c.EvalEvery = 0
	}
	if c.EvalEvery <= 0 {
		return nil, nil
	}
	dir := run.State.Shards
	if tok, err := LoadTokenizer(tokPath); err == nil && tok.Fingerprint == man.Tokenizer {
		docs, err := valDocs(dir, man, tok)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, tr *model.Trainer) (train.Val, error) {
			sc, err := eval.ScoreDocs(ctx, tr, docs, windowsOf(man), c.EvalBatches*c.Batch)
			if err != nil {
				return train.Val{}, fmt.Errorf("%s: %w", dir, err)
			}
			return train.Val{Loss: sc.Loss, BPB: sc.BPB, Partial: sc.Partial}, nil
		}, nil
	}
	fmt.Fprintf(console, "the shards' tokenizer %s is not at hand (--tokenizer): bits per byte count the average bytes per token of each document\n", man.Tokenizer)
	bpt, err := docBytesPerToken(dir, man)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tr *model.Trainer) (train.Val, error) {
		val, err := valBatches(dir, man, c.Batch, bpt)
		if err != nil {
			return train.Val{}, err
		}
		defer val.l.Close()
		loss, bpb, err := eval.Loss(ctx, tr, val, c.EvalBatches)
		partial := c.EvalBatches > 0 && int64(c.EvalBatches) < val.l.EpochBatches()
		return train.Val{Loss: loss, BPB: bpb, Partial: partial}, err
	}, nil
}
