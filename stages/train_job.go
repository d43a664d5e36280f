package stages

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/tokenizer"
)

// TrainConfig configures `tct train-tokenizer`.
type TrainConfig struct {
	Convert   ConvertConfig
	Schema    []byte  // the JSON Schema the grammar is compiled from
	Vocab     int     // content vocabulary: base alphabet + merges
	Positions int     // position tokens of the layout
	Holdout   float64 // share of repositories kept out of training
	Seed      uint64
	MinFreq   int64                  // in occurrences (see SegmentWeightScale)
	Dict      tokenizer.DictOptions  // zero KeySlots/EnumSlots: no dictionary
	Classes   tokenizer.ClassOptions // Max ≤ 1: one shared merge table
	// Overlearn: learn this share more merges than a table holds, then keep
	// those the shortest spelling uses most (tokenizer.PruneTables); 0: none.
	Overlearn float64
}

// TrainTokenizer reads dumps through the convert stages, counts base-token
// segments of every document outside the holdout, and learns merges. The
// result depends only on the inputs and the config, not on worker counts.
func TrainTokenizer(ctx context.Context, cfg TrainConfig) (*tokenizer.Tokenizer, *Summary, error) {
	// Settings first: the passes over the dump take a while.
	if cfg.Overlearn < 0 || cfg.Overlearn > 4 {
		return nil, nil, fmt.Errorf("--overlearn %g: want 0 (plain BPE) to 4", cfg.Overlearn)
	}
	if r := cfg.Dict.Recall; r < 0 || r > tokenizer.MaxRecall || r > 0 && cfg.Dict.EnumSlots > 0 && r >= cfg.Dict.EnumSlots {
		return nil, nil, fmt.Errorf("--recall %d: want 0 to %d, fewer than the ENUM slots (%d)", r, tokenizer.MaxRecall, cfg.Dict.EnumSlots)
	}
	lex := max(cfg.Classes.Lex, 1)
	if lex > tokenizer.MaxLex {
		return nil, nil, fmt.Errorf("--lex-states %d: want 1 to %d", lex, tokenizer.MaxLex)
	}
	g, err := tokenizer.CompileSchema(cfg.Schema)
	if err != nil {
		return nil, nil, err
	}
	skip := func(r *Record) bool { return InHoldout(r, cfg.Holdout, cfg.Seed) }
	// Pass 1: which values and keys earn a slot of their own, and which
	// nodes carry enough free text for a merge table of their own.
	learn := &LearnDictionary{Grammar: g, Skip: skip}
	if _, err := RunWith(ctx, cfg.Convert, learn, nil); err != nil {
		return nil, nil, err
	}
	learned := learn.Result()
	var dict *tokenizer.Dictionary
	if cfg.Dict.EnumSlots > 0 || cfg.Dict.KeySlots > 0 || cfg.Dict.Recall > 0 {
		dict = learned.Dictionary(cfg.Dict)
		if g, err = tokenizer.CompileSchemaDict(cfg.Schema, dict); err != nil {
			return nil, nil, err
		}
	}
	classes := learned.Classes(dict, cfg.Classes)
	if err := g.SetClasses(classes, lex); err != nil {
		return nil, nil, err
	}
	if cfg.Vocab < g.Size {
		return nil, nil, fmt.Errorf("--vocab %d is smaller than the base alphabet (%d)", cfg.Vocab, g.Size)
	}
	// Pass 2: count segments of base tokens per class and learn merges over them.
	counter := &CountSegments{Grammar: g, Skip: skip}
	summary, err := RunWith(ctx, cfg.Convert, counter, nil)
	if err != nil {
		return nil, nil, err
	}
	segs, docs := counter.Result()
	minFreq := max(cfg.MinFreq, 2)
	keep := cfg.Vocab - g.Size
	learnN := keep + int(cfg.Overlearn*float64(keep))
	// Tables of positions after a byte number their merges from 257: only a
	// byte or END starts there, so the other base ids are free.
	first := g.FirstMerged()
	pairs, right, err := tokenizer.TrainClasses(g.Size, g.Tables(), segs,
		tokenizer.TrainOptions{Merges: learnN, MinFreq: minFreq * SegmentWeightScale, First: first})
	if err != nil {
		return nil, nil, err
	}
	tables := make([]tokenizer.TableSpec, len(pairs))
	for i := range tables {
		tables[i] = tokenizer.TableSpec{Pairs: pairs[i], Right: right[i], First: first[i]}
	}
	if learnN > keep {
		if tables, err = tokenizer.PruneTables(g.Size, tables, segs, tokenizer.PruneOptions{Keep: keep}); err != nil {
			return nil, nil, err
		}
	}
	t, err := tokenizer.NewClassed(g, classes, lex, tables, cfg.Positions)
	if err != nil {
		return nil, nil, err
	}
	t.Dict = dict
	t.Meta = tokenizer.Meta{Inputs: cfg.Convert.Inputs, Documents: int(docs), Segments: len(segs),
		HoldoutFraction: cfg.Holdout, HoldoutSeed: cfg.Seed,
		MinFreq: minFreq, LongString: tokenizer.LongString, SegmentWeight: "sqrt per repository", Overlearn: cfg.Overlearn}
	return t, summary, nil
}

// RunWith runs the convert stages and one more stage over the inputs (on
// all workers, unordered), with the usual accounting. watch, when set, is
// started on the pipeline and its stop function called at the end.
func RunWith(ctx context.Context, cfg ConvertConfig, s Stage, watch func(*pipeline.Pipeline) func()) (*Summary, error) {
	p := pipeline.New(ctx)
	recs, ie, err := Records(p, cfg)
	if err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w := NewWriter(io.Discard, nil)
	Drain(p, Apply(p, recs, pipeline.Options{Workers: workers}, s), w)
	if err := Wait(p, watch); err != nil {
		return nil, err
	}
	for _, e := range ie.Errs {
		w.Summary.InputErrors = append(w.Summary.InputErrors, e.Error())
	}
	return w.Summary, nil
}

// Wait waits for the pipeline while watch (if set) shows its progress.
func Wait(p *pipeline.Pipeline, watch func(*pipeline.Pipeline) func()) error {
	if watch != nil {
		defer watch(p)()
	}
	return p.Wait()
}
