package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/model"
)

func newModelsCmd() *cobra.Command {
	var tokPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List the model configurations with their parameter counts and FLOPs per token",
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := jobs.LoadTokenizer(tokPath)
			if err != nil {
				return err
			}
			rows, err := model.Catalog(configs.Models, tok.Layout.ModelVocab)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rows)
			}
			if err := model.WriteCatalog(cmd.OutOrStdout(), rows); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "(vocabulary %d from the tokenizer layout)\n", tok.Layout.ModelVocab)
			return err
		},
	}
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
