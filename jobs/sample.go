package jobs

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/model/eval"
	"github.com/tct-dev/tct/model/sample"
	"github.com/tct-dev/tct/model/train"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// LoadTokenizer reads a tokenizer file, or the embedded default for "".
func LoadTokenizer(path string) (*tokenizer.Tokenizer, error) {
	return tokenizer.LoadOr(path, configs.Tokenizer)
}

// loadRun opens a trained run for inference with its tokenizer.
func loadRun(runDir, tokPath, backend string) (*model.Trainer, *tokenizer.Tokenizer, error) {
	if runDir == "" {
		return nil, nil, fmt.Errorf("--checkpoint RUN_DIR is required")
	}
	run, err := train.Open(runDir)
	if err != nil {
		return nil, nil, err
	}
	tok, err := LoadTokenizer(tokPath)
	if err != nil {
		return nil, nil, err
	}
	if tok.Fingerprint != run.State.Tokenizer {
		return nil, nil, fmt.Errorf("the run was trained with tokenizer %s, this one is %s (use --tokenizer)", run.State.Tokenizer, tok.Fingerprint)
	}
	tr, err := run.LoadForInference(model.BackendSpec(backend))
	if err != nil {
		return nil, nil, err
	}
	return tr, tok, nil
}

// GenerateConfig configures `tct generate`.
type GenerateConfig struct {
	Run, Tokenizer, Backend string
	Prompt                  string // a partial workflow (YAML) every sample completes
	N, MaxTokens, TopK      int
	Constrained             bool
	Temperature, TopP       float64
	Seed                    uint64
}

// Generate samples workflows from the best checkpoint of a run.
func Generate(ctx context.Context, cfg GenerateConfig) (*sample.Report, error) {
	tr, tok, err := loadRun(cfg.Run, cfg.Tokenizer, cfg.Backend)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	var prompt []int32
	if cfg.Prompt != "" {
		if prompt, err = promptIDs(tok, cfg.Prompt); err != nil {
			return nil, err
		}
	}
	return sample.Generate(tr, tok, sample.Options{N: cfg.N, Prompt: prompt, Constrained: cfg.Constrained, MaxTokens: cfg.MaxTokens,
		Sampler: model.Sampler{Temperature: cfg.Temperature, TopK: cfg.TopK, TopP: cfg.TopP, Rng: rand.New(rand.NewPCG(cfg.Seed, 0x7c7))}})
}

// promptIDs converts a partial YAML workflow and encodes it open-ended; a
// prompt that cannot start a workflow is an error naming its first line
// that does not fit.
func promptIDs(tok *tokenizer.Tokenizer, path string) ([]int32, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ids, err := PromptIDs(tok, src)
	if err == nil {
		return ids, nil
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	for k := 1; k < len(lines); k++ {
		if _, e := PromptIDs(tok, bytes.Join(lines[:k], nil)); e != nil {
			return nil, fmt.Errorf("%s: line %d: the prompt cannot start a workflow: %w", path, k, err)
		}
	}
	return nil, fmt.Errorf("%s: the prompt cannot start a workflow: %w", path, err)
}

// PromptIDs encodes a partial workflow (YAML or JSON) open-ended and checks
// that the strict grammar accepts it as the start of a workflow.
func PromptIDs(tok *tokenizer.Tokenizer, src []byte) ([]int32, error) {
	doc, err := stages.YAMLToJSON(nil, src, stages.DefaultConvertLimits())
	if err != nil {
		return nil, err
	}
	ids, err := tok.NewEncoder().EncodeOpen(doc)
	if err != nil {
		return nil, err
	}
	m := tok.NewMachine(true)
	for _, id := range ids {
		if err := tok.Advance(m, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// EvalConfig configures `tct eval`.
type EvalConfig struct {
	Run, Shards, Tokenizer, Backend string
	SchemaStore                     string // SchemaStore's workflow schema, to validate against it too
	N, MaxTokens                    int
	Ngram                           int  // the order of the n-gram floor to report beside the model (0: none)
	AllowIncomplete                 bool // evaluate on a shard set whose manifest says complete: false
}

// Eval scores the best checkpoint of a run on the validation split of its
// shards and by the validity of its samples.
func Eval(ctx context.Context, cfg EvalConfig) (*eval.Report, error) {
	if cfg.Run == "" && cfg.Ngram > 0 {
		return ngramOnly(cfg)
	}
	tr, tok, err := loadRun(cfg.Run, cfg.Tokenizer, cfg.Backend)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	man, err := shards.ReadManifestWith(cfg.Shards, shards.ReadOptions{AllowIncomplete: cfg.AllowIncomplete})
	if err != nil {
		return nil, err
	}
	if man.Tokenizer != tok.Fingerprint {
		return nil, fmt.Errorf("the shards in %s were made with tokenizer %s, the run with %s", cfg.Shards, man.Tokenizer, tok.Fingerprint)
	}
	var train [][]int32 // read once: the samples' reference distribution and the n-gram's counts
	if cfg.N > 0 || cfg.Ngram > 0 {
		if train, err = shards.ReadDocTokens(cfg.Shards, man, "train"); err != nil {
			return nil, err
		}
	}
	o, err := evalOptions(cfg, tok, train)
	if err != nil {
		return nil, err
	}
	val, err := valDocs(cfg.Shards, man, tok)
	if err != nil {
		return nil, err
	}
	rep, err := eval.Evaluate(ctx, tr, tok, val, windowsOf(man), o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Shards, err)
	}
	if cfg.Ngram > 0 {
		rep.Ngram, err = ngramFloor(cfg, tok, train, val)
	}
	return rep, err
}

// ngramOnly reports the n-gram floor of a shard set, without a model.
func ngramOnly(cfg EvalConfig) (*eval.Report, error) {
	tok, err := LoadTokenizer(cfg.Tokenizer)
	if err != nil {
		return nil, err
	}
	man, err := shards.ReadManifestWith(cfg.Shards, shards.ReadOptions{AllowIncomplete: cfg.AllowIncomplete})
	if err != nil {
		return nil, err
	}
	val, err := valDocs(cfg.Shards, man, tok)
	if err != nil {
		return nil, err
	}
	train, err := shards.ReadDocTokens(cfg.Shards, man, "train")
	if err != nil {
		return nil, err
	}
	f, err := ngramFloor(cfg, tok, train, val)
	if err != nil {
		return nil, err
	}
	return &eval.Report{Ngram: f}, nil
}

// ngramFloor counts the n-gram model on the training documents and scores val.
func ngramFloor(cfg EvalConfig, tok *tokenizer.Tokenizer, train [][]int32, val []eval.Doc) (*eval.Floor, error) {
	f, err := eval.NgramFloor(train, val, cfg.Ngram, tok.Layout.Content)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Shards, err)
	}
	return f, nil
}

// evalOptions compiles the schemas and decodes the training documents (the
// reference distribution of the samples' fields).
func evalOptions(cfg EvalConfig, tok *tokenizer.Tokenizer, train [][]int32) (eval.Options, error) {
	o := eval.Options{N: cfg.N, MaxTokens: cfg.MaxTokens}
	var err error
	if o.Ours, err = eval.NewValidator("ours", configs.WorkflowSchema); err != nil {
		return o, err
	}
	if o.Lint, err = eval.NewLinter(); err != nil {
		return o, err
	}
	if cfg.SchemaStore != "" {
		b, err := os.ReadFile(cfg.SchemaStore)
		if err != nil {
			return o, err
		}
		if o.SchemaStore, err = eval.NewValidator("schemastore", b); err != nil {
			return o, fmt.Errorf("%s: %w", cfg.SchemaStore, err)
		}
	}
	if cfg.N > 0 {
		for _, ids := range train {
			if doc, _, err := tok.Decode(ids); err == nil {
				o.Corpus = append(o.Corpus, doc)
			}
		}
	}
	return o, nil
}
