package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/stages"
)

// addConvertFlags declares the flags shared by every command that reads dumps.
func addConvertFlags(fs *pflag.FlagSet, cfg *stages.ConvertConfig) {
	fs.StringVar(&cfg.Read.ContentField, "content-field", cfg.Read.ContentField, "JSONL field / Parquet column holding the file content")
	fs.StringVar(&cfg.Read.RepoField, "repo-field", cfg.Read.RepoField, "JSONL field / Parquet column holding the repository")
	fs.StringVar(&cfg.Read.PathField, "path-field", cfg.Read.PathField, "JSONL field / Parquet column holding the file path")
	fs.IntVar(&cfg.Read.RepoDepth, "repo-depth", cfg.Read.RepoDepth, "leading path components of a directory/tar member that name the repository (owner/name = 2)")
	fs.Int64Var(&cfg.Read.MaxSize, "max-size", cfg.Read.MaxSize, "largest file accepted, in bytes")
	fs.StringVar(&cfg.PathPattern, "path-pattern", cfg.PathPattern, `regular expression a file path must match ("" keeps all paths)`)
	fs.IntVar(&cfg.Limits.MaxDepth, "max-depth", cfg.Limits.MaxDepth, "deepest YAML nesting accepted")
	fs.IntVar(&cfg.Workers, "workers", 0, "converter workers (default: all cores)")
}

// convertReport is the --json summary of tct convert.
type convertReport struct {
	*stages.Summary
	Out      string                `json:"out"`
	Rejects  string                `json:"rejects"`
	Seconds  float64               `json:"seconds"`
	MBPerSec float64               `json:"mb_per_s"`
	DocsPerS float64               `json:"docs_per_s"`
	Stages   []pipeline.StageCount `json:"stages"`
}

func newConvertCmd() *cobra.Command {
	cfg := stages.DefaultConvertConfig()
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
				return fmt.Errorf("--out is required")
			}
			inputs, err := stages.ExpandInputs(args)
			if err != nil {
				return err
			}
			cfg.Inputs = inputs
			if rejects == "" {
				rejects = stages.RejectsPath(out)
			}
			rep, err := runConvert(cmd, cfg, out, rejects)
			if rep == nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printConvertReport(cmd.ErrOrStderr(), rep)
			}
			if err != nil {
				return err
			}
			if len(rep.InputErrors) > 0 {
				for _, e := range rep.InputErrors {
					fmt.Fprintln(cmd.ErrOrStderr(), "tct: input error:", e)
				}
				return errReported
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&out, "out", "o", "", "output JSON lines file (.zst/.gz compress; - for stdout)")
	fs.StringVar(&rejects, "rejects", "", "rejects file (default: beside --out, NAME.rejects.jsonl)")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON on stdout")
	addConvertFlags(fs, &cfg)
	return cmd
}

func runConvert(cmd *cobra.Command, cfg stages.ConvertConfig, outPath, rejPath string) (*convertReport, error) {
	start := time.Now()
	out, err := stages.CreateOutput(outPath)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	rej, err := stages.CreateOutput(rejPath)
	if err != nil {
		return nil, err
	}
	defer rej.Abort()

	p := pipeline.New(cmd.Context())
	recs, inputErrs, err := stages.Records(p, cfg)
	if err != nil {
		return nil, err
	}
	w := stages.NewWriter(out, rej)
	stages.Drain(p, recs, w)
	if err := stages.Wait(p, progress(cmd)); err != nil {
		return nil, err
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	if err := rej.Commit(); err != nil {
		return nil, err
	}
	secs := time.Since(start).Seconds()
	s := w.Summary
	s.Inputs = cfg.Inputs
	for _, e := range inputErrs.Errs {
		s.InputErrors = append(s.InputErrors, e.Error())
	}
	rep := &convertReport{Summary: s, Out: outPath, Rejects: rejPath, Seconds: secs,
		MBPerSec: float64(s.BytesRead) / 1e6 / secs, DocsPerS: float64(s.Read) / secs, Stages: p.Counts()}
	if !s.Balanced() {
		return rep, fmt.Errorf("internal error: accounting does not add up: read %d != written %d + rejected %d + duplicates %d",
			s.Read, s.Written, s.Rejected, s.Duplicates)
	}
	return rep, nil
}

func printConvertReport(w io.Writer, r *convertReport) {
	fmt.Fprintf(w, "read %d records (%.1f MB) in %.2fs (%.1f MB/s, %.0f docs/s)\n", r.Read, float64(r.BytesRead)/1e6, r.Seconds, r.MBPerSec, r.DocsPerS)
	fmt.Fprintf(w, "  written    %d -> %s\n", r.Written, r.Out)
	fmt.Fprintf(w, "  duplicates %d\n", r.Duplicates)
	fmt.Fprintf(w, "  rejected   %d -> %s\n", r.Rejected, r.Rejects)
	for _, k := range r.ReasonsSorted() {
		fmt.Fprintf(w, "    %-18s %d\n", k, r.RejectedByReason[k])
	}
}

// progress shows per-stage progress on stderr when it is a terminal.
func progress(cmd *cobra.Command) func(*pipeline.Pipeline) func() {
	if !pipeline.IsTerminal(cmd.ErrOrStderr()) {
		return nil
	}
	return func(p *pipeline.Pipeline) func() { return pipeline.ShowProgress(p, cmd.ErrOrStderr(), "records") }
}
