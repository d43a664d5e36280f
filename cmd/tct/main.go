// Command tct turns a dump of GitHub repositories into a trained model of
// GitHub Actions workflows: convert, tokenize, shard, train, generate.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/internal/version"
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
		if isUsage(err) {
			os.Exit(2)
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
to canonical JSON, tokenizes them with a schema-aware tokenizer, writes
training windows as Parquet shards, trains a small GPT on them (GoMLX) and
samples workflows that the grammar keeps schema-valid.

  tct convert | train-tokenizer | tokenize | pipeline | shards | train | generate | eval

Every input record ends as written, rejected (with a reason, in a rejects
file) or duplicate, and the summary's counts add up.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.String(),
	}
	root.SetVersionTemplate("{{.Version}}")
	var cpuProfile, memProfile string
	var stopCPU func()
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	root.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write a heap profile to this file at the end")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFlags(cmd); err != nil {
			return err
		}
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		stopCPU = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRunE = func(*cobra.Command, []string) error {
		if stopCPU != nil {
			stopCPU()
		}
		if memProfile == "" {
			return nil
		}
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		return pprof.Lookup("allocs").WriteTo(f, 0)
	}
	root.AddCommand(newConvertCmd(), newTrainTokenizerCmd(), newTokenizeCmd(), newDecodeCmd(), newBenchCmd(), newPipelineCmd(), newShardsCmd(), newTrainCmd(), newPlotCmd(), newModelsCmd(), newGenerateCmd(), newEvalCmd(), newExploreCmd())
	wrapUsage(root)
	return root
}
