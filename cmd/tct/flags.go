package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// usageError is a command line that cannot run as given: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef makes a usage error.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// isUsage reports whether err is a usage error.
func isUsage(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}

// span is the accepted range of a numeric flag, both ends included.
type span struct {
	min, max float64
	open     bool // the max itself is excluded
}

const inf = math.MaxFloat64

// flagSpans gives the range of every numeric flag, by "command flag" where
// commands give one name different meanings, else by flag name.
func flagSpans() map[string]span {
	return map[string]span{
		"context": {1, jobs.MaxContext, false}, "stride": {0, jobs.MaxContext, false},
		"val-fraction": {0, 1, true}, "shard-bytes": {1, inf, false}, "row-group-rows": {1, inf, false},
		"workers": {0, 4096, false}, "max-size": {1, 1 << 30, false}, "max-depth": {1, stages.MaxDepth, false},
		"repo-depth": {0, 64, false}, "seed": {0, inf, false}, "passes": {1, inf, false},
		"top": {1, inf, false}, "batch": {1, 1 << 20, false}, "batches": {0, inf, false},
		"prefetch": {1, 1024, false}, "shuffle-buffer": {1, 1 << 24, false},
		"vocab": {1, 1 << 20, false}, "positions": {1, 1 << 20, false}, "holdout": {0, 1, true},
		"min-freq": {1, inf, false}, "classes": {1, tokenizer.MaxClasses, false}, "class-min-share": {0, 1, false},
		"lex-states": {1, tokenizer.MaxLex, false}, "overlearn": {0, 4, false}, "recall": {0, tokenizer.MaxRecall, false},
		"steps": {0, inf, false}, "log-every": {1, inf, false}, "until": {0, inf, false},
		"eval n": {0, 1 << 16, false}, "generate n": {1, 1 << 16, false}, "max-tokens": {0, 1 << 20, false},
		"temperature": {0, 100, false}, "top-k": {0, 1 << 20, false}, "top-p": {0, 1, false}, "ngram": {0, 12, false}, "states": {0, inf, false},
	}
}

// numericFlag reports whether a flag holds a number.
func numericFlag(f *pflag.Flag) bool {
	switch f.Value.Type() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return true
	}
	return false
}

// checkFlags checks every numeric flag given to cmd against its range.
func checkFlags(cmd *cobra.Command) error {
	spans := flagSpans()
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if err != nil || !numericFlag(f) {
			return
		}
		s, ok := spans[cmd.Name()+" "+f.Name]
		if !ok {
			s, ok = spans[f.Name]
		}
		if !ok {
			err = usagef("--%s: no range is known for this flag", f.Name)
			return
		}
		v, perr := strconv.ParseFloat(f.Value.String(), 64)
		switch {
		case perr != nil:
			err = usagef("--%s %s: not a number", f.Name, f.Value)
		case v < s.min || v > s.max || s.open && v == s.max:
			err = usagef("--%s %s: want %s", f.Name, f.Value, s)
		}
	})
	return err
}

func (s span) String() string {
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case s.max == inf:
		return num(s.min) + " or more"
	case s.open:
		return fmt.Sprintf("%s <= value < %s", num(s.min), num(s.max))
	}
	return fmt.Sprintf("%s to %s", num(s.min), num(s.max))
}

// wrapUsage makes flag parse and argument errors usage errors, and gives every
// command with subcommands a run that refuses an unknown subcommand.
func wrapUsage(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = func(c *cobra.Command, a []string) error {
			if len(a) > 0 {
				return usagef("unknown command %q for %q (see '%s --help')", a[0], c.CommandPath(), c.CommandPath())
			}
			return c.Help()
		}
	}
	for _, sub := range cmd.Commands() {
		wrapUsage(sub)
	}
}
