package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/model/train"
)

func newPlotCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "plot RUN_DIR",
		Short: "Write RUN_DIR/loss.png: training and validation loss against tokens seen",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := train.ReadLog(args[0])
			if err != nil {
				return err
			}
			out := filepath.Join(args[0], train.PlotName)
			if err := train.PlotLoss(out, log); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "wrote", out)
			return nil
		},
	}
}
