package main

import (
	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/explore"
)

func newExploreCmd() *cobra.Command {
	cfg := explore.Config{Addr: "127.0.0.1:8080"}
	cmd := &cobra.Command{
		Use:   "explore [--addr HOST:PORT] [--tokenizer FILE] [--checkpoint RUN_DIR]",
		Short: "See a workflow the way the tokenizer and the model see it, in the browser",
		Long: `explore serves one page (embedded in the binary) where a pasted or dropped
workflow (YAML or JSON) shows as its ids, coloured by kind, beside the o200k
tokens of the same YAML and JSON. With --checkpoint each id is shaded by the
model's loss, and clicking one lists the ids the grammar allows there with the
model's top choices. The API behind it: POST /api/tokenize, /api/loss and
/api/allowed?pos=N with the workflow as the body.`,
		Example: "  tct explore --checkpoint out/run\n  curl -s -X POST --data-binary @ci.yml http://127.0.0.1:8080/api/tokenize",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return explore.Serve(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on (port 0: any free port)")
	fs.StringVar(&cfg.Tokenizer, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.StringVar(&cfg.Checkpoint, "checkpoint", "", "training run directory: shade ids by the model's loss")
	return cmd
}
