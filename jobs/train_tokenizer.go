package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// TrainTokenizerConfig configures `tct train-tokenizer`.
type TrainTokenizerConfig struct {
	Convert   ConvertConfig
	Schema    []byte  // the JSON Schema the grammar is compiled from
	Vocab     int     // content vocabulary: base alphabet + merges
	Positions int     // position tokens of the layout
	Holdout   float64 // share of repositories kept out of training
	Seed      uint64
	MinFreq   int64                  // in occurrences (see stages.SegmentWeightScale)
	Dict      tokenizer.DictOptions  // zero KeySlots/EnumSlots: no dictionary
	Classes   tokenizer.ClassOptions // Max ≤ 1: one shared merge table
	// Overlearn: learn this share more merges than a table holds, then keep
	// those the shortest spelling uses most (tokenizer.PruneTables); 0: none.
	Overlearn float64
	// Kind is "tct" (or ""): the schema-aware tokenizer, or tokenizer.KindBPE:
	// a plain byte-level BPE over the canonical JSON text (the baseline).
	Kind string
}

// TrainTokenizer reads dumps through the convert stages, counts base-token
// segments of every document outside the holdout, and learns merges. The
// result depends only on the inputs and the config, not on worker counts.
func TrainTokenizer(ctx context.Context, cfg TrainTokenizerConfig) (*tokenizer.Tokenizer, *stages.Summary, error) {
	switch cfg.Kind {
	case tokenizer.KindBPE:
		return trainText(ctx, cfg)
	case "", "tct":
		return trainTCT(ctx, cfg)
	}
	return nil, nil, fmt.Errorf("--kind %q: want tct or %s", cfg.Kind, tokenizer.KindBPE)
}

// trainTCT learns the schema-aware tokenizer: the dictionary, then merges.
func trainTCT(ctx context.Context, cfg TrainTokenizerConfig) (*tokenizer.Tokenizer, *stages.Summary, error) {
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
	skip := func(r *stages.Record) bool { return stages.InHoldout(r, cfg.Holdout, cfg.Seed) }
	// Pass 1: which values and keys earn a slot of their own, and which
	// nodes carry enough free text for a merge table of their own.
	learn := &stages.LearnDictionary{Grammar: g, Skip: skip}
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
	counter := &stages.CountSegments{Grammar: g, Skip: skip}
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
		tokenizer.TrainOptions{Merges: learnN, MinFreq: minFreq * stages.SegmentWeightScale, First: first})
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

// TrainTokenizerFile trains a tokenizer (TrainTokenizer), writes it to out
// atomically and returns the summary of `tct train-tokenizer --json`.
func TrainTokenizerFile(ctx context.Context, cfg TrainTokenizerConfig, out string) (*tokenizer.Tokenizer, map[string]any, error) {
	start := time.Now()
	t, sum, err := TrainTokenizer(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	b, err := t.Marshal()
	if err != nil {
		return nil, nil, err
	}
	f, err := CreateOutput(out)
	if err != nil {
		return nil, nil, err
	}
	defer f.Abort()
	if _, err := f.Write(b); err != nil {
		return nil, nil, fmt.Errorf("write %s: %w", out, err)
	}
	if err := f.Commit(); err != nil {
		return nil, nil, err
	}
	if t, err = tokenizer.Parse(b); err != nil { // the fingerprint is of the file
		return nil, nil, fmt.Errorf("the written file does not load: %w", err)
	}
	rep := map[string]any{"out": out, "kind": t.Kind(), "fingerprint": t.Fingerprint, "content_vocab": t.Layout.Content,
		"base_alphabet": t.BaseSize(), "merges": t.MergeCount(), "hidden_merges": t.HiddenCount(), "merge_tables": 1,
		"layout": t.Layout, "documents": t.Meta.Documents,
		"segments": t.Meta.Segments, "read": sum.Read, "written": sum.Written, "rejected": sum.Rejected,
		"duplicates": sum.Duplicates, "seconds": time.Since(start).Seconds(), "input_errors": sum.InputErrors}
	if t.Grammar != nil {
		rep["merge_classes"], rep["lex_states"], rep["merge_tables"], rep["recall_slots"] = len(t.Classes)+1, t.Grammar.Lex(), len(t.Tables), t.Grammar.Recall()
	}
	return t, rep, nil
}

// trainText learns a plain byte-level BPE over the pre-split canonical JSON
// text of every document outside the holdout; its windows have one start id.
func trainText(ctx context.Context, cfg TrainTokenizerConfig) (*tokenizer.Tokenizer, *stages.Summary, error) {
	if cfg.Vocab <= 256 || cfg.Vocab > 1<<16 {
		return nil, nil, fmt.Errorf("--vocab %d: a byte-level BPE needs more than 256 and at most 65,536", cfg.Vocab)
	}
	counter := &stages.CountChunks{Skip: func(r *stages.Record) bool { return stages.InHoldout(r, cfg.Holdout, cfg.Seed) }}
	summary, err := RunWith(ctx, cfg.Convert, counter, nil)
	if err != nil {
		return nil, nil, err
	}
	segs := tokenizer.TextSegments(counter.Result())
	minFreq := max(cfg.MinFreq, 2)
	pairs, _, err := tokenizer.TrainClasses(256, 1, segs, tokenizer.TrainOptions{Merges: cfg.Vocab - 256, MinFreq: minFreq})
	if err != nil {
		return nil, nil, err
	}
	bpe, err := tokenizer.NewTextBPE(pairs[0])
	if err != nil {
		return nil, nil, err
	}
	t := tokenizer.NewText(bpe, 1)
	t.Meta = tokenizer.Meta{Inputs: cfg.Convert.Inputs, Documents: int(counter.Docs), Segments: len(segs),
		HoldoutFraction: cfg.Holdout, HoldoutSeed: cfg.Seed, MinFreq: minFreq, SegmentWeight: "count"}
	return t, summary, nil
}
