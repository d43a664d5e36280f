package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/stages"
)

func newPipelineCmd() *cobra.Command {
	cfg := jobs.DefaultPipelineConfig()
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
With pack (the default) the train windows hold documents back to back, each
a segment [position, tokens...] with its segment id per slot, so fewer slots
are padding; validation windows always hold one document each.
--partition i/N processes the documents whose content hash falls in share i
of N (exact dedup stays global); 'tct shards merge' joins the partitions.`,
		Example: `  tct pipeline ../shared/corpus/workflows.jsonl.zst --out shards/
  tct pipeline 'dump/*.parquet' --out part-3 --partition 3/8   # one of 8 machines`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Out == "" {
				return usagef("--out is required")
			}
			if err := applyConfigFile(cmd.Flags(), configPath, &cfg.Shards); err != nil {
				return err
			}
			var err error
			if cfg.Convert.Partition, cfg.Convert.Partitions, err = parsePartition(partition); err != nil {
				return err
			}
			tok, err := jobs.LoadTokenizer(tokPath)
			if err != nil {
				return err
			}
			if cfg.Convert.Inputs, err = stages.ExpandInputs(args); err != nil {
				return err
			}
			m, err := jobs.RunPipeline(cmd.Context(), cfg, tok, progress(cmd))
			if err != nil {
				return err
			}
			if asJSON {
				err = printJSON(cmd.OutOrStdout(), jobs.PipelineSummary(m))
			} else {
				jobs.WriteManifestSummary(cmd.ErrOrStderr(), m, cfg.Out)
			}
			if err != nil {
				return err
			}
			return inputErrors(cmd, m.InputErrors)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&cfg.Out, "out", "o", "", "output directory")
	fs.StringVar(&configPath, "config", "", "pipeline config (YAML, like configs/pipeline.yaml); flags override it")
	fs.StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.IntVar(&cfg.Shards.Context, "context", cfg.Shards.Context, "content tokens per window")
	fs.IntVar(&cfg.Shards.Stride, "stride", cfg.Shards.Stride, "distance between window starts of unpacked windows (default: the context; at most the context)")
	fs.BoolVar(&cfg.Shards.Pack, "pack", cfg.Shards.Pack, "fill train windows with documents back to back, kept apart by segment ids (--pack=false: one document per window)")
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

// parsePartition reads "i/N"; "" is no partitioning (0, 0).
func parsePartition(s string) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usagef("--partition %q: want i/N with 0 <= i < N", s)
	}
	return i, n, nil
}

// applyConfigFile lays the config file over cfg, then sets again the flags
// given on the command line, so that they win over the file.
func applyConfigFile(fs *pflag.FlagSet, path string, cfg *shards.Config) error {
	if path == "" {
		return nil
	}
	given := map[string]string{}
	fs.Visit(func(f *pflag.Flag) { given[f.Name] = f.Value.String() })
	if err := jobs.ReadPipelineFile(path, cfg); err != nil {
		return err
	}
	for name, v := range given {
		if err := fs.Set(name, v); err != nil {
			return err
		}
	}
	return nil
}
