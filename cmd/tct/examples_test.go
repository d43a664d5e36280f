package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// exampleCommands splits a command's Example text into the argument lists of
// its tct command lines (continuations joined, comments and VAR=value
// prefixes dropped, single quotes removed).
func exampleCommands(example string) [][]string {
	var out [][]string
	for _, line := range strings.Split(strings.ReplaceAll(example, "\\\n", " "), "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		for len(fields) > 0 && strings.Contains(fields[0], "=") {
			fields = fields[1:]
		}
		if len(fields) == 0 || fields[0] != "tct" {
			continue
		}
		for i, f := range fields {
			fields[i] = strings.Trim(f, "'")
		}
		out = append(out, fields[1:])
	}
	return out
}

// Every example of every command's --help names a real command, and its
// flags and arguments pass the command's checks.
func TestHelpExamplesParse(t *testing.T) {
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		for _, args := range exampleCommands(c.Example) {
			seen++
			root := newRoot()
			cmd, rest, err := root.Find(args)
			if err != nil || cmd.CommandPath() != c.CommandPath() {
				t.Errorf("%s example %v: finds %s, %v", c.CommandPath(), args, cmd.CommandPath(), err)
				continue
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s example %v: %v", c.CommandPath(), args, err)
				continue
			}
			if err := checkFlags(cmd); err != nil {
				t.Errorf("%s example %v: %v", c.CommandPath(), args, err)
			}
			if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
				t.Errorf("%s example %v: %v", c.CommandPath(), args, err)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot())
	if seen < 10 {
		t.Errorf("only %d examples found", seen)
	}
}

// convert --out - writes the documents on stdout, a summary on stderr, and
// no rejects file into the current directory.
func TestConvertStdoutNoRejectsFile(t *testing.T) {
	dump, err := filepath.Abs("../../testdata/dump")
	if err != nil {
		t.Fatal(err)
	}
	cwd := t.TempDir()
	cmd := exec.Command(os.Args[0], "convert", dump, "--out", "-")
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), "TCT_RUN_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if n := strings.Count(string(out), "\n"); n == 0 {
		t.Errorf("no documents on stdout")
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("convert --out - wrote %v into the current directory", entries)
	}
	if !strings.Contains(stderr.String(), "not kept") {
		t.Errorf("the summary does not say the rejects were not kept: %s", stderr.String())
	}
}
