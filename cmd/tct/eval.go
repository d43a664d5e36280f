package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/model/sample"
)

func newEvalCmd() *cobra.Command {
	var cfg jobs.EvalConfig
	var mdPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval --checkpoint RUN_DIR --shards DIR",
		Short: "Validation loss and bits per byte, and the validity of samples with and without constraints",
		Long: `eval computes the validation loss and bits per byte over the whole validation
split, samples N workflows with and without the grammar mask, and reports the
share that decode completely, the share valid under our schema and under
SchemaStore's, and how far the generated actions (uses), runners (runs-on) and
triggers (on) are from the corpus distribution (total-variation distance,
against the training documents of the shards). --report writes a Markdown
summary with a few samples. --ngram N adds the floor a model must beat: an
interpolated Kneser-Ney N-gram model of the same ids counted on the training
split, scored on the same validation documents (no --checkpoint: only it).`,
		Example: `  tct eval --checkpoint runs/tiny --shards out/shards -n 8 --ngram 6
  tct eval --shards out/shards --ngram 6 --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := jobs.Eval(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			md := rep.Markdown(cfg.Run)
			if mdPath != "" {
				if err := os.WriteFile(mdPath, []byte(md), 0o644); err != nil {
					return err
				}
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), md)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Run, "checkpoint", "", "run directory of tct train")
	fs.StringVar(&cfg.Shards, "shards", "", "shard directory (validation split and the corpus distribution)")
	fs.IntVarP(&cfg.N, "n", "n", 16, "samples with and without constraints (0: loss and bits per byte only)")
	fs.IntVar(&cfg.MaxTokens, "max-tokens", sample.DefaultMaxTokens, "ids sampled per sample at most; past the context the window slides; constrained samples are then closed by the grammar")
	fs.StringVar(&cfg.SchemaStore, "schemastore", "", "SchemaStore's github-workflow.json, to validate against it too")
	fs.IntVar(&cfg.Ngram, "ngram", 0, "also report the n-gram floor of this order (Kneser-Ney, counted on the training split); without --checkpoint, only it")
	fs.StringVar(&mdPath, "report", "", "write a Markdown summary here")
	fs.StringVar(&cfg.Tokenizer, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.StringVar(&cfg.Backend, "backend", "", "GoMLX backend")
	addAllowIncomplete(fs, &cfg.AllowIncomplete)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
