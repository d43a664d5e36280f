package bench

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

// duckdbVersion is the @duckdb/node-api release the interop test installs.
const duckdbVersion = "1.5.6-r.1"

// duckdbModules returns a node_modules directory holding @duckdb/node-api:
// $TCT_INTEROP_NODE_PATH (as bench/interop.sh sets it), or an npm install
// into the user's cache. The test is skipped when npm cannot install it.
func duckdbModules(t *testing.T) string {
	if p := os.Getenv("TCT_INTEROP_NODE_PATH"); p != "" {
		return p
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not found")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "tct-interop", duckdbVersion)
	mods := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "@duckdb", "node-api", "package.json")); err == nil {
		return mods
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", "@duckdb/node-api@"+duckdbVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm install @duckdb/node-api failed (offline?): %v\n%s", err, out)
	}
	return mods
}

// duckdbFile is what bench/duckdb_interop.cjs reports for one shard
// (DuckDB's 64- and 128-bit integers come as decimal strings).
type duckdbFile struct {
	File       string `json:"file"`
	Rows       string `json:"rows"`
	SumIDs     string `json:"sum_ids"`
	MinLen     string `json:"min_len"`
	MaxLen     string `json:"max_len"`
	SumValid   string `json:"sum_valid"`
	XorDocID   string `json:"xor_doc_id"`
	TokensType string `json:"tokens_type"`
	DocIDType  string `json:"doc_id_type"`
	ValidType  string `json:"valid_type"`
}

// goFile is the same, computed on the Go side.
type goFile struct {
	rows, sumIDs, sumValid int64
	xorDoc                 int64
}

// TestInteropDuckDB: DuckDB, an independent Parquet reader, reads every
// window shard and finds the manifest's row counts, and the same sum of
// token ids, valid lengths and doc ids as parquet-go and the loader.
// It needs npm and the registry, so it runs only with TCT_INTEROP=1
// (bench/interop.sh).
func TestInteropDuckDB(t *testing.T) {
	if os.Getenv("TCT_INTEROP") != "1" {
		t.Skip("set TCT_INTEROP=1 (bench/interop.sh) to run the DuckDB interop test")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	mods := duckdbModules(t)

	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	inputs := []string{"../testdata/dump", "../testdata/dump.jsonl"}
	dir := t.TempDir()
	cfg := jobs.PipelineConfig{Convert: jobs.DefaultConvertConfig(), Shards: jobs.DefaultShardConfig(), Out: dir}
	if corpus := filepath.Join("..", "..", "shared", "corpus", "workflows.jsonl.zst"); fileExists(corpus) {
		inputs = append(inputs, corpus)
	} else {
		// The embedded dump alone has a handful of repositories: hold out a
		// fifth (as `make run` does) so that there is a validation split to read.
		cfg.Shards.ValFraction = 0.2
	}
	cfg.Convert.Inputs = inputs
	cfg.Shards.Context, cfg.Shards.RowGroupRows, cfg.Shards.ShardBytes = 64, 512, 1<<20
	m, err := jobs.RunPipeline(t.Context(), cfg, tok, nil)
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]*goFile{}
	var files []string
	for _, s := range m.Shards {
		if s.Kind != "windows" {
			continue
		}
		path := filepath.Join(dir, s.Name)
		rows, err := shards.ReadRows[shards.WindowRow](path, 0)
		if err != nil {
			t.Fatal(err)
		}
		g := &goFile{rows: s.Rows}
		for _, r := range rows {
			for _, id := range r.Tokens {
				g.sumIDs += int64(id)
			}
			g.sumValid += int64(r.Valid)
			g.xorDoc ^= r.DocID
		}
		if int64(len(rows)) != s.Rows {
			t.Fatalf("%s: parquet-go reads %d rows, the manifest says %d", s.Name, len(rows), s.Rows)
		}
		want[path] = g
		files = append(files, path)
	}
	// The loader's pass over each split gives the same sums as the files.
	for _, split := range []string{"train", "val"} {
		var sum int64
		for _, s := range m.Shards {
			if s.Kind == "windows" && s.Split == split {
				sum += want[filepath.Join(dir, s.Name)].sumIDs
			}
		}
		if got := loaderSum(t, dir, split); got != sum {
			t.Fatalf("%s: the loader's windows sum to %d, the files to %d", split, got, sum)
		}
	}

	cmd := exec.CommandContext(t.Context(), "node", append([]string{"duckdb_interop.cjs"}, files...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node duckdb_interop.cjs: %v", err)
	}
	var got []duckdbFile
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got) != len(files) {
		t.Fatalf("DuckDB reported %d files, want %d", len(got), len(files))
	}
	window := strconv.Itoa(cfg.Shards.Context + 1)
	for _, d := range got {
		w := want[d.File]
		if w == nil {
			t.Fatalf("DuckDB reported an unknown file %s", d.File)
		}
		exp := duckdbFile{File: d.File, Rows: i64(w.rows), SumIDs: i64(w.sumIDs), MinLen: window, MaxLen: window,
			SumValid: i64(w.sumValid), XorDocID: i64(w.xorDoc), TokensType: "INTEGER[]", DocIDType: "BIGINT", ValidType: "INTEGER"}
		if d != exp {
			t.Errorf("%s:\n DuckDB %+v\n Go     %+v", filepath.Base(d.File), d, exp)
			continue
		}
		t.Logf("%s: %s rows, sum of ids %s: DuckDB and Go agree", filepath.Base(d.File), d.Rows, d.SumIDs)
	}
}

// loaderSum sums the ids of every window of a split as the loader
// delivers them (file order): inputs plus the last target of each row.
func loaderSum(t *testing.T, dir, split string) int64 {
	l, err := shards.OpenLoader(dir, shards.LoaderOptions{Split: split, BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var sum int64
	for {
		b, err := l.Next(t.Context())
		if errors.Is(err, io.EOF) {
			return sum
		}
		if err != nil {
			t.Fatal(err)
		}
		for r := range b.Rows {
			for _, id := range b.Inputs[r*b.C : (r+1)*b.C] {
				sum += int64(id)
			}
			sum += int64(b.Targets[(r+1)*b.C-1])
		}
	}
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestTorchExample checks that examples/torch_loader.py parses and, where
// pyarrow and torch are installed (the GPU machine), reads a whole split
// of shards made from testdata, window for window as the manifest counts.
func TestTorchExample(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	const script = "../examples/torch_loader.py"
	// ast.parse rather than py_compile: no __pycache__ left in examples/.
	check := exec.CommandContext(t.Context(), py, "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])", script)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("%s does not parse: %v\n%s", script, err, out)
	}
	if err := exec.CommandContext(t.Context(), py, "-c", "import pyarrow, torch, numpy").Run(); err != nil {
		t.Skip("pyarrow, torch or numpy not installed: syntax checked only")
	}
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := jobs.PipelineConfig{Convert: jobs.DefaultConvertConfig(), Shards: jobs.DefaultShardConfig(), Out: dir}
	cfg.Convert.Inputs = []string{"../testdata/dump", "../testdata/dump.jsonl"}
	cfg.Shards.Context, cfg.Shards.RowGroupRows, cfg.Shards.SplitBy, cfg.Shards.ValFraction = 16, 8, "doc", 0.4
	m, err := jobs.RunPipeline(t.Context(), cfg, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--split", "train"}, {"--split", "val", "--no-shuffle"}} {
		cmd := exec.CommandContext(t.Context(), py, append([]string{script, dir, "--batch", "4", "--device", "cpu"}, args...)...)
		cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", script, args, err, out)
		}
		split := args[1]
		want := strconv.FormatInt(m.Splits[split].Windows, 10)
		if !strings.Contains(string(out), want+" windows ("+want+" in the split)") {
			t.Fatalf("%s %v: want %s windows:\n%s", script, args, want, out)
		}
		t.Logf("%v:\n%s", args, out)
	}
}
