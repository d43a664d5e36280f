package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/shards"
)

func newShardsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "shards", Short: "Inspect, check and merge shard directories"}
	var tokPath string
	var asJSON bool
	inspect := &cobra.Command{
		Use:   "inspect DIR",
		Short: "Print the manifest, check every shard's checksum, and show a window decoded back to YAML",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			m, err := shards.ReadManifest(dir)
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
			printManifestSummary(w, m, dir)
			fmt.Fprintf(w, "tokenizer %s, layout %+v\nconfig %+v\n", m.Tokenizer, m.Layout, m.Config)
			for _, s := range m.Shards {
				fmt.Fprintf(w, "  %-22s %-5s %7d rows %10d bytes sha256 %.16s…\n", s.Name, s.Split, s.Rows, s.Bytes, s.SHA256)
			}
			if verr != nil {
				return verr
			}
			fmt.Fprintln(w, "checksums: all shards match the manifest")
			tok, err := loadTokenizer(tokPath)
			if err != nil {
				return err
			}
			if tok.Fingerprint != m.Tokenizer {
				fmt.Fprintf(w, "(the tokenizer %s is not the one of these shards: no window decoded)\n", tok.Fingerprint)
				return nil
			}
			for _, s := range m.Shards {
				if s.Kind != "windows" {
					continue
				}
				rows, err := shards.ReadRows[shards.WindowRow](filepath.Join(dir, s.Name), 64)
				if err != nil {
					return err
				}
				for _, r := range rows {
					if r.Start != 0 {
						continue
					}
					doc, consumed, err := tok.Decode(r.Tokens[1:r.Valid])
					if err != nil {
						continue // a document longer than the window
					}
					fmt.Fprintf(w, "\nwindow 0 of document %d (%s, %d of %d ids valid, %d decoded):\n", r.DocID, s.Name, r.Valid, len(r.Tokens), consumed)
					return writeDoc(w, doc, "yaml")
				}
			}
			return nil
		},
	}
	inspect.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	inspect.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	var out string
	merge := &cobra.Command{
		Use:   "merge DIR... --out DIR",
		Short: "Join the outputs of partitioned runs (--partition i/N) into one shard set",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			m, err := shards.Merge(out, args)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), pipelineReport(m))
			}
			printManifestSummary(cmd.ErrOrStderr(), m, out)
			return nil
		},
	}
	merge.Flags().StringVarP(&out, "out", "o", "", "output directory")
	merge.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON on stdout")
	cmd.AddCommand(inspect, merge, newShardsStatsCmd(), newShardsBenchCmd())
	return cmd
}
