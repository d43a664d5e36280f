package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	bar "github.com/tct-dev/tct/internal/progress"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/stages"
)

// addConvertFlags declares the flags shared by every command that reads dumps.
func addConvertFlags(fs *pflag.FlagSet, cfg *jobs.ConvertConfig) {
	fs.StringVar(&cfg.Read.ContentField, "content-field", cfg.Read.ContentField, "JSONL field / Parquet column holding the file content")
	fs.StringVar(&cfg.Read.RepoField, "repo-field", cfg.Read.RepoField, "JSONL field / Parquet column holding the repository")
	fs.StringVar(&cfg.Read.PathField, "path-field", cfg.Read.PathField, "JSONL field / Parquet column holding the file path")
	fs.IntVar(&cfg.Read.RepoDepth, "repo-depth", cfg.Read.RepoDepth, "leading path components of a directory/tar member that name the repository (owner/name = 2)")
	fs.Int64Var(&cfg.Read.MaxSize, "max-size", cfg.Read.MaxSize, "largest file accepted, in bytes")
	fs.StringVar(&cfg.PathPattern, "path-pattern", cfg.PathPattern, `regular expression a file path must match ("" keeps all paths)`)
	fs.IntVar(&cfg.Limits.MaxDepth, "max-depth", cfg.Limits.MaxDepth, "deepest YAML nesting accepted")
	fs.IntVar(&cfg.Workers, "workers", 0, "converter workers (default: all cores)")
}

func newConvertCmd() *cobra.Command {
	cfg := jobs.DefaultConvertConfig()
	var out, rejects string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "convert INPUT... --out FILE.jsonl[.zst|.gz]",
		Short: "Convert the workflows of a dump to canonical JSON lines",
		Long: `Convert reads every INPUT (paths or globs: directories, .tar, .tar.gz, .tar.zst,
.jsonl, .jsonl.gz, .jsonl.zst, .parquet), keeps workflow files, drops exact
duplicates and writes one JSON object per line:

  {"repo":..., "path":..., "source":"<dump>:<member or line>", "sha256":..., "json":{...}}

Rejected records go to the rejects file with their reason. The exit code is 0
even when records are rejected, and 1 when an input is corrupt (everything
read before the corruption is still written).`,
		Example: `  tct convert dump.tar.zst --out workflows.jsonl.zst
  tct convert 'dumps/*.parquet' --content-field content --repo-field max_stars_repo_name \
      --path-field max_stars_repo_path --out wf.jsonl --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out is required")
			}
			if out == "-" && rejects == "-" {
				return usagef("--out - and --rejects -: documents and rejects cannot share standard output")
			}
			inputs, err := stages.ExpandInputs(args)
			if err != nil {
				return err
			}
			cfg.Inputs = inputs
			rep, err := jobs.Convert(cmd.Context(), cfg, out, rejects, progress(cmd))
			if rep == nil {
				return err
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				rep.WriteText(cmd.ErrOrStderr())
			}
			if err != nil {
				return err
			}
			return inputErrors(cmd, rep.InputErrors)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&out, "out", "o", "", "output JSON lines file (.zst/.gz compress; - for stdout)")
	fs.StringVar(&rejects, "rejects", "", "rejects file (default: beside --out, NAME.rejects.jsonl; with --out -, none: only counted)")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON on stdout")
	addConvertFlags(fs, &cfg)
	return cmd
}

// inputErrors prints the errors of corrupt inputs; any makes the command fail.
func inputErrors(cmd *cobra.Command, errs []string) error {
	for _, e := range errs {
		fmt.Fprintln(cmd.ErrOrStderr(), "tct: input error:", e)
	}
	if len(errs) > 0 {
		return errReported
	}
	return nil
}

// progress shows per-stage progress on stderr when it is a terminal.
func progress(cmd *cobra.Command) jobs.Watch {
	w := cmd.ErrOrStderr()
	if !bar.IsTerminal(w) {
		return nil
	}
	return func(p *pipeline.Pipeline) func() { return bar.Show(p.Counts, w, "records") }
}
