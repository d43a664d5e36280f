package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newTrainTokenizerCmd() *cobra.Command {
	cfg := jobs.TrainTokenizerConfig{Convert: jobs.DefaultConvertConfig(), Vocab: 8192, Positions: 512, Holdout: 0.1, Seed: 1,
		Dict: tokenizer.DefaultDictOptions(), Classes: tokenizer.DefaultClassOptions(), Overlearn: tokenizer.DefaultOverlearn}
	var out, schemaPath string
	var noDict, asJSON bool
	cmd := &cobra.Command{
		Use:   "train-tokenizer INPUT... --out FILE",
		Short: "Learn the tokenizer's dictionary and merges from a dump",
		Long: `train-tokenizer reads dumps like convert, compiles the workflow schema into the
base alphabet, learns a dictionary of frequent values and open-map keys per
schema position (pass 1), then BPE merges over base-token segments (pass 2),
up to --vocab content ids. The default is the one-table tokenizer (one merge
table, plain BPE, no recall): the model trained on it reaches fewer bits per
byte than on the richer variants, which compress better (docs/tokenizer.md).
Those stay behind flags: the schema positions that carry the most free text
get merge classes of their own (--classes 8), each class a table per lexical
state (--lex-states 2: after a letter or digit, or not); --overlearn 0.25
learns more merges than a table holds and keeps those the shortest spelling
uses most; --recall 64 makes a string that repeats one spelled earlier at the
same schema position of the document one token.
Repositories in the holdout share are left out, so
the tokenizer can be measured on repositories it never saw. The same inputs
and flags always give a byte-identical file, whatever --workers is.`,
		Example: `  tct train-tokenizer ../shared/corpus/workflows.jsonl.zst ../shared/corpus/extra/workflows.jsonl.zst --out configs/tokenizer.json
  tct train-tokenizer ../shared/corpus/workflows.jsonl.zst --classes 8 --lex-states 2 --overlearn 0.25 --recall 64 --out rich.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out is required")
			}
			inputs, err := stages.ExpandInputs(args)
			if err != nil {
				return err
			}
			cfg.Convert.Inputs = inputs
			cfg.Schema = configs.WorkflowSchema
			if schemaPath != "" {
				if cfg.Schema, err = os.ReadFile(schemaPath); err != nil {
					return err
				}
			}
			if noDict {
				cfg.Dict = tokenizer.DictOptions{Recall: cfg.Dict.Recall}
			}
			t, rep, err := jobs.TrainTokenizerFile(cmd.Context(), cfg, out)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "trained on %d documents in %.1fs: base alphabet %d, %d merges, content vocabulary %d\nwrote %s (sha256 %s)\n",
				t.Meta.Documents, rep["seconds"], t.BaseSize(), t.MergeCount(), t.Layout.Content, out, t.Fingerprint)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&out, "out", "o", "", "tokenizer file to write")
	fs.StringVar(&cfg.Kind, "kind", "tct", "tct (schema-aware) or bpe (plain byte-level BPE over the canonical JSON text, the baseline; windows get one start id)")
	fs.IntVar(&cfg.Vocab, "vocab", cfg.Vocab, "content vocabulary size (base alphabet + merges)")
	fs.IntVar(&cfg.Positions, "positions", cfg.Positions, "position tokens in the layout")
	fs.Float64Var(&cfg.Holdout, "holdout", cfg.Holdout, "share of repositories left out of training")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the holdout split")
	fs.Int64Var(&cfg.MinFreq, "min-freq", 2, "stop merging when the best pair is rarer")
	fs.IntVar(&cfg.Classes.Max, "classes", cfg.Classes.Max, "merge classes: one shared plus one per schema position with the most free text (1: one class)")
	fs.Float64Var(&cfg.Classes.MinShare, "class-min-share", cfg.Classes.MinShare, "share of the free-text bytes a schema position needs for a merge class of its own")
	fs.IntVar(&cfg.Classes.Lex, "lex-states", cfg.Classes.Lex, "lexical states per merge class: an id's meaning also depends on the byte before it (1: none; 2-5: word/other, +punctuation, +space, +line break)")
	fs.Float64Var(&cfg.Overlearn, "overlearn", cfg.Overlearn, "learn this share more merges than a table holds, then keep the ones the shortest spelling of the training text uses most (0: plain BPE)")
	fs.IntVar(&cfg.Dict.Recall, "recall", cfg.Dict.Recall, "ENUM slots of every string position for values recalled from earlier in the same document: a repeated run script, condition or name is one token (0: none)")
	fs.StringVar(&schemaPath, "schema", "", "JSON Schema of workflows (default: the embedded configs/workflow.schema.json)")
	fs.BoolVar(&noDict, "no-dict", false, "learn no dictionary of values and keys")
	fs.BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	addConvertFlags(fs, &cfg.Convert)
	return cmd
}

func newTokenizeCmd() *cobra.Command {
	cfg := jobs.TokenizeConfig{Convert: jobs.DefaultConvertConfig()}
	var tokPath string
	var explain, asJSON bool
	cmd := &cobra.Command{
		Use:   "tokenize INPUT...",
		Short: "Tokenize the workflows of a dump and report counts (or explain each token)",
		Long: `tokenize runs the convert stages over the inputs (any dump, or plain YAML/JSON
files) and encodes every document. It reports documents, bytes of canonical
JSON and of the original YAML, tokens, and with --verify the documents whose
round trip differs; --vs o200k adds o200k_base (GPT-4o) counts of the same
documents as JSON and as YAML. --explain prints every token of every document
with its meaning in context.`,
		Example: `  tct tokenize ../shared/corpus/workflows.jsonl.zst --verify --vs o200k --json
  tct tokenize --explain .github/workflows/ci.yml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := jobs.LoadTokenizer(tokPath)
			if err != nil {
				return err
			}
			if cfg.Convert.Inputs, err = stages.ExpandInputs(args); err != nil {
				return err
			}
			if explain {
				return jobs.Explain(cmd.Context(), tok, cfg.Convert, cmd.OutOrStdout())
			}
			cfg.Tok = tok
			rep, err := jobs.Tokenize(cmd.Context(), cfg, progress(cmd))
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				rep.WriteText(cmd.ErrOrStderr(), cfg.Verify)
			}
			if cfg.Verify && rep.RoundtripFailures > 0 {
				return fmt.Errorf("%d documents did not round-trip", rep.RoundtripFailures)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.BoolVar(&cfg.Verify, "verify", false, "decode every document and count round-trip failures")
	fs.StringVar(&cfg.Vs, "vs", "", "compare with another tokenizer (o200k)")
	fs.BoolVar(&explain, "explain", false, "print every token with its meaning")
	fs.BoolVar(&cfg.HeldOut, "held-out", false, "count only the repositories the tokenizer was not trained on")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON on stdout")
	addConvertFlags(fs, &cfg.Convert)
	// A file given on the command line is a workflow whatever its path.
	fs.Lookup("path-pattern").DefValue = ""
	cfg.Convert.PathPattern = ""
	return cmd
}

func newDecodeCmd() *cobra.Command {
	var tokPath, format string
	cmd := &cobra.Command{
		Use:   "decode [IDS...]",
		Short: "Turn content ids back into a workflow (JSON or YAML)",
		Long: `decode reads content ids (from the arguments, or whitespace/comma separated
on stdin) and prints the document as canonical JSON or YAML. Surplus ids after
the document are reported; a truncated sequence prints the partial JSON.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := jobs.LoadTokenizer(tokPath)
			if err != nil {
				return err
			}
			text := strings.Join(args, " ")
			if len(args) == 0 {
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return err
				}
				text = string(b)
			}
			return jobs.Decode(tok, text, format, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	cmd.Flags().StringVar(&format, "format", "yaml", "output format: yaml or json")
	return cmd
}
