package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/internal/canon"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/shards"
)

func newShardsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "shards", Short: "Inspect, check and merge shard directories"}
	cmd.AddCommand(newShardsInspectCmd(), newShardsMergeCmd(), newShardsStatsCmd(), newShardsBenchCmd())
	return cmd
}

func newShardsInspectCmd() *cobra.Command {
	var tokPath string
	var asJSON bool
	var ro shards.ReadOptions
	inspect := &cobra.Command{
		Use:   "inspect DIR",
		Short: "Print the manifest, check every shard's checksum, and show a window decoded back to YAML",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			m, err := shards.ReadManifestWith(dir, ro)
			if err != nil {
				return err
			}
			verr := m.Verify(dir)
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), m); err != nil {
					return err
				}
				return verr
			}
			w := cmd.OutOrStdout()
			jobs.WriteManifest(w, m, dir)
			if verr != nil {
				return verr
			}
			fmt.Fprintln(w, "checksums: all shards match the manifest")
			tok, err := jobs.LoadTokenizer(tokPath)
			if err != nil {
				return err
			}
			if tok.Fingerprint != m.Tokenizer {
				fmt.Fprintf(w, "(the tokenizer %s is not the one of these shards: no window decoded)\n", tok.Fingerprint)
				return nil
			}
			doc, where, err := jobs.SampleDocument(dir, m, tok)
			if err != nil || doc == nil {
				return err
			}
			fmt.Fprintf(w, "\n%s:\n", where)
			return canon.WriteDoc(w, doc, "yaml")
		},
	}
	inspect.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	inspect.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	addAllowIncomplete(inspect.Flags(), &ro.AllowIncomplete)
	return inspect
}

func newShardsMergeCmd() *cobra.Command {
	var out string
	var asJSON bool
	merge := &cobra.Command{
		Use:   "merge DIR... --out DIR",
		Short: "Join the outputs of partitioned runs (--partition i/N) into one shard set",
		Long: `merge joins the outputs of the partitions 0..N-1 of one pipeline run
(--partition i/N with the same N, config, inputs and tokenizer), each given
exactly once, into a new directory: shards renumbered, rejects.jsonl
concatenated, and one manifest that sums the accounting.`,
		Example: `  tct shards merge part-0 part-1 part-2 --out shards/`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out is required")
			}
			m, err := shards.Merge(out, args)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), jobs.PipelineSummary(m))
			}
			jobs.WriteManifestSummary(cmd.ErrOrStderr(), m, out)
			return nil
		},
	}
	merge.Flags().StringVarP(&out, "out", "o", "", "output directory")
	merge.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON on stdout")
	return merge
}
