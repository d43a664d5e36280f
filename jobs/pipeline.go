package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// PipelineConfig configures the pipeline job: dump → shards.
type PipelineConfig struct {
	Convert ConvertConfig
	Shards  shards.Config
	Out     string
}

// DefaultShardConfig is the shard config of configs/pipeline.yaml, the one
// place the defaults are written. The file is embedded and covered by a
// test, so a parse error is a broken build and panics.
func DefaultShardConfig() shards.Config {
	var c shards.Config
	if err := ApplyPipelineYAML(configs.Pipeline, &c); err != nil {
		panic(fmt.Sprintf("embedded configs/pipeline.yaml: %v", err))
	}
	return c
}

// DefaultPipelineConfig is the convert defaults and DefaultShardConfig.
func DefaultPipelineConfig() PipelineConfig {
	return PipelineConfig{Convert: DefaultConvertConfig(), Shards: DefaultShardConfig()}
}

// ApplyPipelineYAML sets the fields of cfg that a pipeline config file
// (YAML, like configs/pipeline.yaml) names; an unknown key is an error. The
// keys are shards.Config's JSON names.
func ApplyPipelineYAML(b []byte, cfg *shards.Config) error {
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) == 0 {
		return nil
	}
	j, err := json.Marshal(m)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(cfg)
}

// ReadPipelineFile is ApplyPipelineYAML on a file.
func ReadPipelineFile(path string, cfg *shards.Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := ApplyPipelineYAML(b, cfg); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// MaxContext is the longest window a shard set may have.
const MaxContext = 1 << 16

// checkShardConfig validates the shard config and fills in the default stride.
func checkShardConfig(sc *shards.Config) error {
	switch {
	case sc.Context <= 0 || sc.Context > MaxContext:
		return fmt.Errorf("context %d: want 1 to %d", sc.Context, MaxContext)
	case sc.Stride < 0:
		return fmt.Errorf("stride %d: want 0 (the context) or more", sc.Stride)
	case !(sc.ValFraction >= 0 && sc.ValFraction < 1):
		return fmt.Errorf("validation fraction %v: want 0 <= f < 1", sc.ValFraction)
	case sc.ShardBytes < 1:
		return fmt.Errorf("shard bytes %d: want 1 or more", sc.ShardBytes)
	case sc.RowGroupRows < 1:
		return fmt.Errorf("row group rows %d: want 1 or more", sc.RowGroupRows)
	}
	if sc.Stride <= 0 {
		sc.Stride = sc.Context
	}
	if sc.Stride > sc.Context {
		return fmt.Errorf("stride %d is larger than the context %d: tokens between windows would never be targets", sc.Stride, sc.Context)
	}
	if sc.SplitBy != "repo" && sc.SplitBy != "doc" {
		return fmt.Errorf("split by %q: want repo or doc", sc.SplitBy)
	}
	return nil
}

// runConfig is what the manifest records as its config.
func (cfg PipelineConfig) runConfig() shards.RunConfig {
	c := cfg.Convert
	return shards.RunConfig{Config: cfg.Shards, Source: shards.Source{Partition: c.Partition, Partitions: c.Partitions,
		PathPattern: c.PathPattern, MaxSize: c.Read.MaxSize, ContentField: c.Read.ContentField, RepoDepth: c.Read.RepoDepth}}
}

// outputs are the files a pipeline run writes before its manifest.
type outputs struct {
	train, val *shards.Roller[shards.WindowRow]
	packed     *shards.Roller[shards.PackedRow] // the train windows of a packed run (train writes none then)
	docs       *shards.Roller[shards.DocRow]
	rejects    *Output
}

func openOutputs(dir string, sc shards.Config, j *shards.Journal) (*outputs, error) {
	roller := func(prefix, split string) *shards.Roller[shards.WindowRow] {
		return shards.NewRoller[shards.WindowRow](rollerOptions(dir, prefix, split, "windows", sc, j))
	}
	o := &outputs{train: roller("train", stages.SplitTrain), val: roller("val", stages.SplitVal),
		packed: shards.NewRoller[shards.PackedRow](rollerOptions(dir, "train", stages.SplitTrain, "windows", sc, j)),
		docs:   shards.NewRoller[shards.DocRow](rollerOptions(dir, "docs", "", "docs", sc, j))}
	rej, err := CreateOutput(filepath.Join(dir, shards.RejectsName))
	if err != nil {
		o.abort()
		return nil, err
	}
	o.rejects = rej
	return o, nil
}

func (o *outputs) abort() {
	o.train.Abort()
	o.packed.Abort()
	o.val.Abort()
	o.docs.Abort()
	if o.rejects != nil {
		o.rejects.Abort()
	}
}

// close finishes the shards in manifest order and commits the rejects file.
func (o *outputs) close() ([]shards.ShardInfo, error) {
	var all []shards.ShardInfo
	for _, r := range []interface {
		Close() ([]shards.ShardInfo, error)
	}{o.train, o.packed, o.val, o.docs} {
		infos, err := r.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, infos...)
	}
	return all, o.rejects.Commit()
}

// RunPipeline runs the whole pipeline into cfg.Out and writes the manifest
// last. A rerun after an interruption rewrites only the shards that are
// missing; the result is the same bytes as an uninterrupted run. The run
// holds the directory's lock, and removes the shards an earlier run left
// there that its manifest does not name.
func RunPipeline(ctx context.Context, cfg PipelineConfig, tok *tokenizer.Tokenizer, watch Watch) (*shards.Manifest, error) {
	if err := checkShardConfig(&cfg.Shards); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}
	unlock, err := shards.LockDir(cfg.Out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rc := cfg.runConfig()
	journal, err := shards.OpenJournal(cfg.Out, rc, tok.Fingerprint, cfg.Convert.Inputs)
	if err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(cfg.Out, shards.ManifestName)) // a new run: the old manifest no longer holds
	o, err := openOutputs(cfg.Out, cfg.Shards, journal)
	if err != nil {
		return nil, err
	}
	defer o.abort()

	p := pipeline.New(ctx)
	recs, ie, err := Records(p, cfg.Convert)
	if err != nil {
		return nil, err
	}
	workers := cfg.Convert.workers()
	recs = Apply(p, recs, pipeline.Options{Workers: workers, Ordered: true, Depth: 4 * workers}, &stages.Tokenize{Tok: tok})
	sink := &stages.ShardSink{Writer: stages.NewWriter(io.Discard, o.rejects), Layout: tok.Layout, Config: cfg.Shards,
		Train: o.train, Packed: o.packed, Val: o.val, Docs: o.docs, Splits: map[string]*shards.Counts{}}
	Drain(p, recs, sink)
	if err := Wait(p, watch); err != nil {
		return nil, err
	}
	if err := sink.Flush(); err != nil {
		return nil, err
	}
	m := &shards.Manifest{Format: shards.ManifestFormat, Version: shards.ManifestVersion, Tokenizer: tok.Fingerprint,
		Layout: tok.Layout, Config: rc, Inputs: cfg.Convert.Inputs, Splits: sink.Splits}
	if m.Shards, err = o.close(); err != nil {
		return nil, err
	}
	s := sink.Writer.Summary
	m.Accounting = shards.Accounting{Read: s.Read, Written: s.Written, Rejected: s.Rejected, RejectedByReason: s.RejectedByReason,
		Duplicates: s.Duplicates, InputErrors: ie.Strings()}
	m.Complete = len(m.InputErrors) == 0
	if !s.Balanced() {
		return m, fmt.Errorf("internal error: accounting does not add up: %+v", m.Accounting)
	}
	if err := shards.RemoveStale(cfg.Out, m); err != nil {
		return nil, err
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

// PipelineSummary is the JSON summary of a shard set: the accounting fields
// of convert, documents and windows per split, and tokens.
func PipelineSummary(m *shards.Manifest) map[string]any {
	docs, wins, toks, fill := map[string]int64{}, map[string]int64{}, int64(0), map[string]float64{}
	for k, c := range m.Splits {
		docs[k], wins[k], fill[k] = c.Documents, c.Windows, c.Fill()
		toks += c.Tokens
	}
	return map[string]any{"read": m.Read, "written": m.Written, "rejected": m.Rejected, "rejected_by_reason": m.RejectedByReason,
		"duplicates": m.Duplicates, "documents": docs, "windows": wins, "tokens": toks, "fill": fill, "shards": len(m.Shards), "shard_bytes": ShardBytes(m),
		"input_errors": m.InputErrors, "complete": m.Complete, "tokenizer": m.Tokenizer}
}

// ShardBytes is the size of all shards of a manifest.
func ShardBytes(m *shards.Manifest) int64 {
	var n int64
	for _, s := range m.Shards {
		n += s.Bytes
	}
	return n
}
