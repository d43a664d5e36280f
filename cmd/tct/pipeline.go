package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/stages"
)

// pipelineFile is configs/pipeline.yaml.
type pipelineFile struct {
	Context      *int     `yaml:"context"`
	Stride       *int     `yaml:"stride"`
	SplitBy      *string  `yaml:"split_by"`
	ValFraction  *float64 `yaml:"val_fraction"`
	Seed         *uint64  `yaml:"seed"`
	ShardBytes   *int64   `yaml:"shard_bytes"`
	RowGroupRows *int64   `yaml:"row_group_rows"`
}

func newPipelineCmd() *cobra.Command {
	cfg := stages.PipelineConfig{Convert: stages.DefaultConvertConfig(), Shards: stages.DefaultShardConfig()}
	var tokPath, configPath, partition string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "pipeline INPUT... --out DIR",
		Short: "Run a dump all the way to training-ready Parquet shards",
		Long: `pipeline reads dumps like convert, tokenizes every document, splits documents
into train and validation by repository (before windowing, so no window of a
validation document lands in train), cuts windows [position, tokens...] and
writes Parquet shards (zstd) with a docs table, rejects.jsonl and, last,
manifest.json (accounting, tokenizer fingerprint and layout, config, and the
size and sha256 of every shard).

The output is the same bytes for the same inputs, config and tokenizer,
whatever --workers is. An interrupted run leaves no file under a final name
that is incomplete; rerunning the same command rewrites only what is missing.
--partition i/N processes the documents whose content hash falls in share i
of N (exact dedup stays global); 'tct shards merge' joins the partitions.`,
		Example: `  tct pipeline ../shared/corpus/workflows.jsonl.zst --out shards/
  tct pipeline 'dump/*.parquet' --out part-3 --partition 3/8   # one of 8 machines`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Out == "" {
				return fmt.Errorf("--out is required")
			}
			if err := applyPipelineFile(cmd, configPath, &cfg); err != nil {
				return err
			}
			if partition != "" {
				i, n, err := parsePartition(partition)
				if err != nil {
					return err
				}
				cfg.Convert.Partition, cfg.Convert.Partitions = i, n
			}
			tok, err := loadTokenizer(tokPath)
			if err != nil {
				return err
			}
			if cfg.Convert.Inputs, err = stages.ExpandInputs(args); err != nil {
				return err
			}
			m, err := stages.RunPipeline(cmd.Context(), cfg, tok, progress(cmd))
			if err != nil {
				return err
			}
			if asJSON {
				err = printJSON(cmd.OutOrStdout(), pipelineReport(m))
			} else {
				printManifestSummary(cmd.ErrOrStderr(), m, cfg.Out)
			}
			if err == nil && len(m.InputErrors) > 0 {
				for _, e := range m.InputErrors {
					fmt.Fprintln(cmd.ErrOrStderr(), "tct: input error:", e)
				}
				return errReported
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&cfg.Out, "out", "o", "", "output directory")
	fs.StringVar(&configPath, "config", "", "pipeline config (YAML, like configs/pipeline.yaml); flags override it")
	fs.StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.IntVar(&cfg.Shards.Context, "context", cfg.Shards.Context, "content tokens per window")
	fs.IntVar(&cfg.Shards.Stride, "stride", cfg.Shards.Stride, "distance between window starts (default: the context; at most the context)")
	fs.StringVar(&cfg.Shards.SplitBy, "split-by", cfg.Shards.SplitBy, "repo or doc")
	fs.Float64Var(&cfg.Shards.ValFraction, "val-fraction", cfg.Shards.ValFraction, "share of repositories (or documents) for validation")
	fs.Uint64Var(&cfg.Shards.Seed, "seed", cfg.Shards.Seed, "seed of the split")
	fs.Int64Var(&cfg.Shards.ShardBytes, "shard-bytes", cfg.Shards.ShardBytes, "roll window shards past this size")
	fs.Int64Var(&cfg.Shards.RowGroupRows, "row-group-rows", cfg.Shards.RowGroupRows, "windows per Parquet row group")
	fs.StringVar(&partition, "partition", "", "process share i of N (i/N, 0-based) of the documents")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON on stdout")
	addConvertFlags(fs, &cfg.Convert)
	return cmd
}

func parsePartition(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--partition %q: want i/N with 0 <= i < N", s)
	}
	return i, n, nil
}

// applyPipelineFile reads the config file; flags given on the command line win.
func applyPipelineFile(cmd *cobra.Command, path string, cfg *stages.PipelineConfig) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var f pipelineFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && err != io.EOF {
		return fmt.Errorf("%s: %w", path, err)
	}
	set := func(flag string, apply func()) {
		if !cmd.Flags().Changed(flag) {
			apply()
		}
	}
	s := &cfg.Shards
	if f.Context != nil {
		set("context", func() { s.Context = *f.Context })
	}
	if f.Stride != nil {
		set("stride", func() { s.Stride = *f.Stride })
	}
	if f.SplitBy != nil {
		set("split-by", func() { s.SplitBy = *f.SplitBy })
	}
	if f.ValFraction != nil {
		set("val-fraction", func() { s.ValFraction = *f.ValFraction })
	}
	if f.Seed != nil {
		set("seed", func() { s.Seed = *f.Seed })
	}
	if f.ShardBytes != nil {
		set("shard-bytes", func() { s.ShardBytes = *f.ShardBytes })
	}
	if f.RowGroupRows != nil {
		set("row-group-rows", func() { s.RowGroupRows = *f.RowGroupRows })
	}
	return nil
}

// pipelineReport is the --json summary: the accounting fields of convert,
// documents and windows per split, and tokens.
func pipelineReport(m *shards.Manifest) map[string]any {
	docs, wins, toks := map[string]int64{}, map[string]int64{}, int64(0)
	for k, c := range m.Splits {
		docs[k], wins[k] = c.Documents, c.Windows
		toks += c.Tokens
	}
	var bytes int64
	for _, s := range m.Shards {
		bytes += s.Bytes
	}
	return map[string]any{"read": m.Read, "written": m.Written, "rejected": m.Rejected, "rejected_by_reason": m.RejectedByReason,
		"duplicates": m.Duplicates, "documents": docs, "windows": wins, "tokens": toks, "shards": len(m.Shards), "shard_bytes": bytes,
		"input_errors": m.InputErrors, "tokenizer": m.Tokenizer}
}

func printManifestSummary(w io.Writer, m *shards.Manifest, dir string) {
	fmt.Fprintf(w, "read %d records: written %d, rejected %d, duplicates %d\n", m.Read, m.Written, m.Rejected, m.Duplicates)
	for _, split := range []string{stages.SplitTrain, stages.SplitVal} {
		if c := m.Splits[split]; c != nil {
			fmt.Fprintf(w, "  %-5s %6d documents %8d windows %10d tokens\n", split, c.Documents, c.Windows, c.Tokens)
		}
	}
	var bytes int64
	for _, s := range m.Shards {
		bytes += s.Bytes
	}
	fmt.Fprintf(w, "%d shards, %.1f MB in %s (manifest.json written last)\n", len(m.Shards), float64(bytes)/1e6, dir)
}
