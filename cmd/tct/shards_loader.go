package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tct-dev/tct/shards"
)

func newShardsStatsCmd() *cobra.Command {
	var asJSON bool
	var top int
	var ro shards.ReadOptions
	cmd := &cobra.Command{
		Use:   "stats DIR",
		Short: "Windows, documents and padding per split, and the token histogram, read through the loader",
		Long: `stats reads every window of every split through the training loader (file
order) and reports, per split, the windows, the distinct documents, the
real targets and the share of padding; and over all splits, the histogram
of content ids: how many distinct ids occur and the most frequent ones.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := shards.CollectStats(cmd.Context(), args[0], top, ro)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			return st.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the statistics as JSON")
	cmd.Flags().IntVar(&top, "top", 20, "number of most frequent ids to list")
	addAllowIncomplete(cmd.Flags(), &ro.AllowIncomplete)
	return cmd
}

func newShardsBenchCmd() *cobra.Command {
	opt := shards.LoaderOptions{Split: "train", BatchSize: 32, Seed: 1, Shuffle: true, Prefetch: 4, ShuffleBuffer: 8192}
	var batches int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench DIR",
		Short: "Measure the training loader's throughput from a cold start",
		Long: `bench opens the loader on DIR and reads --batches batches (default: one
epoch, or the whole pass without --shuffle), timing everything from the
open: reading the row groups, shuffling, assembling the batches. tokens
counts the ids of the windows delivered (context+1 each, padding included),
targets the real ones; mb_per_s is compressed shard bytes read per second;
peak_heap_mb is the largest live Go heap seen (sampled every few ms).`,
		Example: `  tct shards bench out/shards --json
  GOMAXPROCS=1 tct shards bench out/shards --batch 64 --batches 1000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := shards.BenchLoader(cmd.Context(), args[0], opt, batches)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), res)
			}
			return res.WriteText(cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opt.Split, "split", opt.Split, "split to read")
	fs.IntVar(&opt.BatchSize, "batch", opt.BatchSize, "windows per batch")
	fs.Int64Var(&batches, "batches", 0, "batches to read (default: one epoch)")
	fs.BoolVar(&opt.Shuffle, "shuffle", opt.Shuffle, "shuffle as in training (false: one pass in file order)")
	fs.Uint64Var(&opt.Seed, "seed", opt.Seed, "shuffle seed")
	fs.IntVar(&opt.Prefetch, "prefetch", opt.Prefetch, "batches prepared ahead")
	fs.IntVar(&opt.ShuffleBuffer, "shuffle-buffer", opt.ShuffleBuffer, "windows in the shuffle buffer")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	addAllowIncomplete(fs, &opt.AllowIncomplete)
	return cmd
}

// addAllowIncomplete declares --allow-incomplete for the commands that read shards.
func addAllowIncomplete(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "allow-incomplete", false, "read a shard set whose run did not read all of its input (manifest complete: false)")
}
