// Command tct turns a dump of GitHub repositories into a trained model of
// GitHub Actions workflows: convert, tokenize, shard, train, generate.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// errReported marks a failure whose details were already printed.
var errReported = errors.New("failed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	if err := root.ExecuteContext(ctx); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "tct:", err)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "tct",
		Short: "Turn a GitHub dump into a trained model of GitHub Actions workflows",
		Long: `tct reads a dump of GitHub repositories (directories, tar/tar.gz/tar.zst,
JSONL(.gz/.zst), Parquet), keeps the .github/workflows files, converts them
to canonical JSON, and (in later stages) tokenizes, shards and trains on them.

Every input record ends as written, rejected (with a reason, in a rejects
file) or duplicate, and the summary's counts add up.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newConvertCmd(), newTrainTokenizerCmd(), newTokenizeCmd(), newDecodeCmd(), newBenchCmd(), newPipelineCmd(), newShardsCmd())
	return root
}
