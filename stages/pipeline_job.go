package stages

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

// PipelineConfig configures `tct pipeline`: dump → shards.
type PipelineConfig struct {
	Convert ConvertConfig
	Shards  shards.Config
	Out     string
}

// DefaultShardConfig: context 512, non-overlapping windows, 5% of
// repositories for validation, ~128 MB shards.
func DefaultShardConfig() shards.Config {
	return shards.Config{Context: 512, Stride: 0, SplitBy: "repo", ValFraction: 0.05, Seed: 1,
		ShardBytes: 128 << 20, RowGroupRows: 2048}
}

// RunPipeline runs the whole pipeline into cfg.Out and writes the manifest
// last. A rerun after an interruption rewrites only the shards that are
// missing; the result is the same bytes as an uninterrupted run.
func RunPipeline(ctx context.Context, cfg PipelineConfig, tok *tokenizer.Tokenizer, watch func(*pipeline.Pipeline) func()) (*shards.Manifest, error) {
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}
	sc := cfg.Shards
	sc.Partition, sc.Partitions = cfg.Convert.Partition, cfg.Convert.Partitions
	sc.PathPattern, sc.MaxSize, sc.RepoDepth = cfg.Convert.PathPattern, cfg.Convert.Read.MaxSize, cfg.Convert.Read.RepoDepth
	sc.ContentField = cfg.Convert.Read.ContentField
	if sc.Context <= 0 || sc.Context >= 1<<20 {
		return nil, fmt.Errorf("context %d out of range", sc.Context)
	}
	if sc.Stride <= 0 {
		sc.Stride = sc.Context
	}
	if sc.Stride > sc.Context {
		return nil, fmt.Errorf("stride %d is larger than the context %d: tokens between windows would never be targets", sc.Stride, sc.Context)
	}
	if sc.SplitBy != "repo" && sc.SplitBy != "doc" {
		return nil, fmt.Errorf("split by %q: want repo or doc", sc.SplitBy)
	}
	journal, err := shards.OpenJournal(cfg.Out, sc, tok.Fingerprint, cfg.Convert.Inputs)
	if err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(cfg.Out, shards.ManifestName)) // a new run: the old manifest no longer holds
	roller := func(prefix, split, kind string) *shards.Roller[shards.WindowRow] {
		return shards.NewRoller[shards.WindowRow](rollerOptions(cfg.Out, prefix, split, kind, sc, journal))
	}
	train, val := roller("train", SplitTrain, "windows"), roller("val", SplitVal, "windows")
	docs := shards.NewRoller[shards.DocRow](rollerOptions(cfg.Out, "docs", "", "docs", sc, journal))
	defer train.Abort()
	defer val.Abort()
	defer docs.Abort()
	rej, err := CreateOutput(filepath.Join(cfg.Out, "rejects.jsonl"))
	if err != nil {
		return nil, err
	}
	defer rej.Abort()

	p := pipeline.New(ctx)
	recs, ie, err := Records(p, cfg.Convert)
	if err != nil {
		return nil, err
	}
	workers := cfg.Convert.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	tz := &Tokenize{Tok: tok}
	recs = Apply(p, recs, pipeline.Options{Workers: workers, Ordered: true, Depth: 4 * workers}, tz)
	sink := &ShardSink{Writer: NewWriter(io.Discard, rej), Layout: tok.Layout, Config: sc, Train: train, Val: val, Docs: docs,
		Splits: map[string]*shards.Counts{}}
	Drain(p, recs, sink)
	if err := Wait(p, watch); err != nil {
		return nil, err
	}
	m := &shards.Manifest{Format: shards.ManifestFormat, Version: shards.ManifestVersion, Tokenizer: tok.Fingerprint,
		Layout: tok.Layout, Config: sc, Inputs: cfg.Convert.Inputs, Splits: sink.Splits}
	for _, r := range []interface {
		Close() ([]shards.ShardInfo, error)
	}{train, val, docs} {
		infos, err := r.Close()
		if err != nil {
			return nil, err
		}
		m.Shards = append(m.Shards, infos...)
	}
	if err := rej.Commit(); err != nil {
		return nil, err
	}
	s := sink.Writer.Summary
	m.Accounting = shards.Accounting{Read: s.Read, Written: s.Written, Rejected: s.Rejected, RejectedByReason: s.RejectedByReason, Duplicates: s.Duplicates}
	for _, e := range ie.Errs {
		m.InputErrors = append(m.InputErrors, e.Error())
	}
	if !s.Balanced() {
		return m, fmt.Errorf("internal error: accounting does not add up: %+v", m.Accounting)
	}
	if err := shards.WriteJSONAtomic(filepath.Join(cfg.Out, shards.ManifestName), m); err != nil {
		return nil, err
	}
	journal.Remove()
	return m, nil
}

func rollerOptions(dir, prefix, split, kind string, sc shards.Config, j *shards.Journal) shards.RollerOptions {
	return shards.RollerOptions{Dir: dir, Prefix: prefix, Split: split, Kind: kind, MaxBytes: sc.ShardBytes, RowGroupRows: sc.RowGroupRows,
		Done: func(_ int, info shards.ShardInfo) bool { return j.Has(info.Name) },
		Finished: func(info shards.ShardInfo) error {
			for _, d := range j.Done {
				if d.Name == info.Name && d.SHA256 != info.SHA256 {
					return fmt.Errorf("resumed run: shard %s came out different (%s, was %s); remove %s and run again", info.Name, info.SHA256, d.SHA256, dir)
				}
			}
			return j.Add(info)
		}}
}
