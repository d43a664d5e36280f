package main

import (
	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/model/sample"
)

func newGenerateCmd() *cobra.Command {
	var cfg jobs.GenerateConfig
	var format string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "generate --checkpoint RUN_DIR",
		Short: "Sample workflows from a trained model; constrained sampling can only write schema-valid ones",
		Long: `generate samples documents from a trained run (its best checkpoint, else the
latest). With --constrained (the default) every step masks the logits with the
ids the tokenizer's strict grammar allows next (merged ids included), so every
completed sample is a workflow valid under the grammar's typing.
--constrained=false samples freely, for comparison. --prompt completes a
partial workflow (YAML, e.g. everything up to "steps:").`,
		Example: `  tct generate --checkpoint runs/small -n 8
  tct generate --checkpoint runs/small --prompt partial.yml --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := jobs.Generate(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			return rep.Write(cmd.OutOrStdout(), cmd.ErrOrStderr(), format)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Run, "checkpoint", "", "run directory of tct train")
	fs.IntVarP(&cfg.N, "n", "n", 4, "samples (generated as one batch)")
	fs.StringVar(&cfg.Prompt, "prompt", "", "partial workflow (YAML) to complete")
	fs.BoolVar(&cfg.Constrained, "constrained", true, "mask the logits with the grammar (strict): only valid workflows")
	fs.StringVar(&format, "format", "yaml", "yaml or json (one document per line)")
	fs.Float64Var(&cfg.Temperature, "temperature", 0.8, "sampling temperature (0: greedy)")
	fs.IntVar(&cfg.TopK, "top-k", 50, "sample among the k most likely ids (0: all)")
	fs.Float64Var(&cfg.TopP, "top-p", 0.95, "nucleus sampling threshold (1: off)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "sampling seed")
	fs.IntVar(&cfg.MaxTokens, "max-tokens", sample.DefaultMaxTokens, "ids sampled per sample at most; past the context the window slides; constrained samples are then closed by the grammar")
	fs.StringVar(&cfg.Tokenizer, "tokenizer", "", "tokenizer file (default: the embedded one; must be the run's)")
	fs.StringVar(&cfg.Backend, "backend", "", "GoMLX backend (default $GOMLX_BACKEND, else go:ops_sequential)")
	fs.BoolVar(&asJSON, "json", false, "print the samples and the report as JSON")
	return cmd
}
