package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Numeric flags out of range, unknown flags and subcommands, and wrong
// argument counts are usage errors (exit status 2) that name the flag.
func TestFlagsChecked(t *testing.T) {
	for _, args := range [][]string{
		{"pipeline", "x", "--out", "y", "--val-fraction", "1.5"},
		{"pipeline", "x", "--out", "y", "--val-fraction", "-1"},
		{"convert", "x", "--out", "y", "--workers", "-3"},
		{"pipeline", "x", "--out", "y", "--shard-bytes", "0"},
		{"pipeline", "x", "--out", "y", "--context", "100000"},
		{"tokenize", "x", "--max-depth", "1000"},
		{"shards", "bench", "x", "--batch", "0"},
		{"train", "--shards", "x", "--out", "y", "--log-every", "0"},
		{"generate", "--checkpoint", "x", "--top-p", "2"},
		{"convert", "x", "--bogus"},
		{"shards", "check", "x"},
		{"nope"},
		{"shards", "inspect"},
	} {
		_, _, err := run(t, args...)
		if err == nil || !isUsage(err) {
			t.Errorf("%v: %v, want a usage error", args, err)
			continue
		}
		if flag := args[max(len(args)-2, 0)]; strings.HasPrefix(flag, "--") && !strings.Contains(err.Error(), flag) {
			t.Errorf("%v: the error does not name %s: %v", args, flag, err)
		}
	}
}

// Every numeric flag of every command has a range, and its default lies in it.
func TestEveryNumericFlagHasARange(t *testing.T) {
	spans := flagSpans()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !numericFlag(f) {
				return
			}
			s, ok := spans[c.Name()+" "+f.Name]
			if !ok {
				s, ok = spans[f.Name]
			}
			v, _ := strconv.ParseFloat(f.DefValue, 64)
			if !ok {
				t.Errorf("%s --%s: no range", c.CommandPath(), f.Name)
			} else if zeroIsDefault := v == 0; !zeroIsDefault && (v < s.min || v > s.max) {
				t.Errorf("%s --%s: default %s outside %s", c.CommandPath(), f.Name, f.DefValue, s)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot())
}

// tct --version names the version, the commit, Go and GoMLX.
func TestVersion(t *testing.T) {
	out, _, err := run(t, "--version")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tct ", "commit ", "go go1", "gomlx "} {
		if !strings.Contains(out, want) {
			t.Errorf("--version: no %q in %q", want, out)
		}
	}
}
