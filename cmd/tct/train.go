package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/jobs"
)

func newTrainCmd() *cobra.Command {
	var cfg jobs.TrainConfig
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "train --shards DIR --config NAME --out RUN_DIR",
		Short: "Train the GPT on pipeline shards (GoMLX; pure-Go backend by default)",
		Long: `train reads batches from the shards of 'tct pipeline' with the Arrow loader
(shuffled by seed and epoch, loss masked on padding) and trains the model of
configs/models.yaml (tiny, small, medium, large; --set key=value overrides any
field). The backend comes from --backend, else $GOMLX_BACKEND, else the pure-Go
backend ("go:ops_sequential"); on the GPU machine use the XLA build and
GOMLX_BACKEND=xla:/path/xla_cuda_plugin.so.

Every step is logged to RUN_DIR/log.jsonl (loss, learning rate, gradient norm,
tokens/s, share of time waiting for data); validation loss and bits per byte
every eval_every steps. Checkpoints (weights, AdamW state, step, loader state)
go to RUN_DIR/checkpoints (the last 'keep'), the best by validation loss to
RUN_DIR/best. --resume RUN_DIR continues exactly where the run stopped.
RUN_DIR/loss.png plots training and validation loss against tokens seen.`,
		Example: `  tct train --shards out/shards --config tiny --out runs/tiny --steps 20
  tct train --resume runs/tiny --steps 40`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := jobs.Train(cmd.Context(), cfg, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			val := ""
			if rep.ValLoss > 0 {
				val = fmt.Sprintf(", val loss %.4f, val %.4f bits/byte", rep.ValLoss, rep.ValBPB)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "done: %d steps, loss %.4f → %.4f%s, %.0f tokens/s; %s\n",
				rep.Steps, rep.LossFirst, rep.LossLast, val, rep.TokensPerS, rep.RunDir)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Shards, "shards", "", "shard directory of tct pipeline")
	fs.StringVar(&cfg.Model, "config", "", "model config: tiny (the default), compact, small, medium, large")
	fs.StringVarP(&cfg.Out, "out", "o", "", "run directory")
	fs.StringVar(&cfg.Backend, "backend", "", "GoMLX backend (default $GOMLX_BACKEND, else go:ops_sequential)")
	fs.StringVar(&cfg.Resume, "resume", "", "continue the run in this directory")
	fs.StringVar(&cfg.Tokenizer, "tokenizer", "", "the shards' tokenizer file, for exact bits per byte (default: the embedded one)")
	fs.StringArrayVar(&cfg.Sets, "set", nil, "override a config field: key=value (repeatable)")
	fs.IntVar(&cfg.Steps, "steps", 0, "train until this many steps (overrides the config)")
	fs.IntVar(&cfg.LogEvery, "log-every", 10, "console line every N steps (log.jsonl has every step)")
	addAllowIncomplete(fs, &cfg.AllowIncomplete)
	fs.IntVar(&cfg.Until, "until", 0, "stop (with a checkpoint) at this step, keeping the schedule of --steps; --resume continues")
	fs.BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	return cmd
}
