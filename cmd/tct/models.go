package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/model"
)

func newModelsCmd() *cobra.Command {
	var tokPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List the model configurations with their parameter counts and FLOPs per token",
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := loadTokenizer(tokPath)
			if err != nil {
				return err
			}
			var names yaml.Node
			if err := yaml.Unmarshal(configs.Models, &names); err != nil {
				return err
			}
			type row struct {
				model.Config
				Params int64 `json:"params"`
				FLOPs  int64 `json:"flops_per_token"`
			}
			var rows []row
			for i := 0; i < len(names.Content[0].Content); i += 2 {
				c, err := model.LoadConfig(configs.Models, names.Content[0].Content[i].Value)
				if err != nil {
					return err
				}
				c.Vocab = tok.Layout.ModelVocab
				rows = append(rows, row{c, c.Params(), c.FLOPsPerToken()})
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rows)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%-7s %7s %7s %6s %5s %12s %14s\n", "config", "context", "d_model", "layers", "heads", "parameters", "MFLOPs/token")
			for _, r := range rows {
				fmt.Fprintf(w, "%-7s %7d %7d %6d %5d %12d %14.1f\n", r.Name, r.Context, r.DModel, r.Layers, r.Heads, r.Params, float64(r.FLOPs)/1e6)
			}
			fmt.Fprintf(w, "(vocabulary %d from the tokenizer layout)\n", tok.Layout.ModelVocab)
			return nil
		},
	}
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
