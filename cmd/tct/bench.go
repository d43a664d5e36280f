package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/stages"
)

func newBenchCmd() *cobra.Command {
	bench := &cobra.Command{Use: "bench", Short: "Measure tct's own throughput"}
	cfg := jobs.DefaultConvertConfig()
	var tokPath string
	var asJSON bool
	var passes int
	var vs string
	tok := &cobra.Command{
		Use:   "tokenize INPUT...",
		Short: "Encoding and decoding throughput of the tokenizer, in-process, one core",
		Long: `bench tokenize converts the inputs to canonical JSON first (not timed), then
encodes every document on one goroutine: a warm-up pass, then --passes timed
passes. It reports mb_per_s (of canonical JSON), tokens_per_s and docs_per_s
for encoding, and the same for decoding; first_pass_mb_per_s, the warm-up
pass (a fresh encoder: its cache of long segments is cold, as in a pipeline
that sees each document once); tokenizer_mb, the live heap the
tokenizer adds once loaded and warmed on every document (heap_mb is the whole
process heap, documents included), and load_ms, the time to read the file.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cfg.Inputs, err = stages.ExpandInputs(args); err != nil {
				return err
			}
			rep, err := jobs.BenchTokenize(cmd.Context(), cfg, tokPath, passes, vs)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "encode: %.1f MB/s, %.0f tokens/s, %.0f docs/s; decode: %.1f MB/s (%d documents, %d passes)\n",
				rep.MBPerS, rep.TokensPerS, rep.DocsPerS, rep.DecodeMBPerS, rep.Documents, rep.Passes)
			if v := rep.Vs; v != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %.1f MB/s on one core, %.1f MB/s on %d cores (ours on %d cores: %.1f MB/s); %d tokens against our %d\n",
					v.Name, v.MBPerS, v.AllCoresMBPerS, v.Cores, v.Cores, v.OursAllCoresMBPerS, v.Tokens, rep.Tokens)
			}
			return nil
		},
	}
	fs := tok.Flags()
	fs.StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.IntVar(&passes, "passes", 3, "timed passes over the documents")
	fs.StringVar(&vs, "vs", "", "also time o200k_base (tiktoken-go) on the same documents, on one core and all cores (o200k)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON on stdout")
	addConvertFlags(fs, &cfg)
	bench.AddCommand(tok, newBenchMaskCmd())
	return bench
}

func newBenchMaskCmd() *cobra.Command {
	cfg := jobs.DefaultConvertConfig()
	var tokPath string
	var asJSON bool
	var states int
	cmd := &cobra.Command{
		Use:   "mask INPUT...",
		Short: "Time of the grammar mask (allowed next ids) per state, as constrained generation computes it",
		Long: `bench mask converts and encodes the inputs, then runs the strict machine over
every document and times AllowedIDs at the state of every prefix: median_us,
p90_us, p99_us and mean_us over the states (documents the strict grammar
refuses are skipped and counted).`,
		Example: "  tct bench mask ../shared/corpus/workflows.jsonl.zst --json",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cfg.Inputs, err = stages.ExpandInputs(args); err != nil {
				return err
			}
			rep, err := jobs.BenchMask(cmd.Context(), cfg, tokPath, states)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			_, err = fmt.Fprintf(cmd.ErrOrStderr(), "mask: median %.1f µs, p90 %.1f, p99 %.1f, mean %.1f over %d states of %d documents (%d skipped)\n",
				rep.MedianUS, rep.P90US, rep.P99US, rep.MeanUS, rep.States, rep.Documents, rep.Skipped)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.IntVar(&states, "states", 50000, "stop after this many states (0: every prefix of every document)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON on stdout")
	addConvertFlags(fs, &cfg)
	return cmd
}
