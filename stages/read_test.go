package stages

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
)

const ciYAML = `name: CI
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version: stable
      - run: go test ./...
`

const releaseYAML = `name: Release
on:
  push:
    tags: ["v*"]
permissions:
  contents: write
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: gh release create "${{ github.ref_name }}" --generate-notes
        env:
          GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}
`

// lintYAML has CRLF line endings, a BOM and non-ASCII text, which must all
// survive every format byte for byte.
const lintYAML = "\ufeffname: Lint – vérifier\r\non: [push]\r\njobs:\r\n  lint:\r\n    runs-on: ubuntu-latest\r\n    steps:\r\n      - run: echo \"\\t${{ matrix.x }}\"\r\n"

type testFile struct{ name, content string }

// testFiles are in lexical order, the order a directory walk yields them.
var testFiles = []testFile{
	{"acme/tools/.github/workflows/lint.yml", lintYAML},
	{"octo/hello/.github/workflows/ci.yml", ciYAML},
	{"octo/hello/.github/workflows/release.yaml", releaseYAML},
	{"octo/hello/README.md", "# hello\n\nNot a workflow.\n"},
}

// got is the part of a Record that the readers set.
type got struct {
	Origin
	Content string
	Reject  string // reason: message
}

func summarize(recs []*Record) []got {
	out := make([]got, len(recs))
	for i, r := range recs {
		out[i] = got{Origin: r.Origin, Content: string(r.Content)}
		if r.Reject != nil {
			out[i].Reject = r.Reject.Error()
		}
	}
	return out
}

func readAll(t testing.TB, path string, opt ReadOptions) ([]*Record, error) {
	t.Helper()
	d, err := OpenDump(path, opt)
	if err != nil {
		t.Fatalf("OpenDump(%s): %v", path, err)
	}
	if d.Name() != path {
		t.Errorf("Name() = %q, want %q", d.Name(), path)
	}
	var recs []*Record
	err = d.Records(context.Background(), func(r *Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

// compressor wraps w in the codec chosen by the file name.
func compressor(t testing.TB, name string, w io.Writer) io.WriteCloser {
	t.Helper()
	switch name = strings.ToLower(name); {
	case strings.HasSuffix(name, ".gz"), strings.HasSuffix(name, ".tgz"):
		return gzip.NewWriter(w)
	case strings.HasSuffix(name, ".zst"), strings.HasSuffix(name, ".tzst"):
		zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		return zw
	}
	return nopWriteCloser{w}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// writeFile creates path through the compressor its name asks for.
func writeFile(t testing.TB, path string, write func(w io.Writer)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cw := compressor(t, path, f)
	write(cw)
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeTar writes files plus a directory and a symlink entry, which the
// reader must skip.
func writeTar(t testing.TB, path string, files []testFile) {
	writeFile(t, path, func(w io.Writer) {
		tw := tar.NewWriter(w)
		must(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "acme/", Mode: 0o755}))
		for i, f := range files {
			must(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.content))}))
			_, err := io.WriteString(tw, f.content)
			must(t, err)
			if i == 0 {
				must(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "acme/link.yml", Linkname: f.name}))
			}
		}
		must(t, tw.Close())
	})
}

func writeDir(t testing.TB, root string, files []testFile) {
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(f.content), 0o644))
	}
	// The .git directory is no record.
	must(t, os.MkdirAll(filepath.Join(root, "octo/hello/.git/refs"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "octo/hello/.git/config"), []byte("[core]\n"), 0o644))
}

// jsonlLine is one record of a test JSONL dump.
func jsonlLine(t testing.TB, f testFile) string {
	repo, path := splitRepoPath(f.name, 2)
	b, err := json.Marshal(map[string]any{"repo": repo, "path": path, "content": f.content, "kind": "real", "dup_count": 1})
	must(t, err)
	return string(b)
}

func writeJSONL(t testing.TB, path string, lines []string) {
	writeFile(t, path, func(w io.Writer) {
		for _, l := range lines {
			_, err := io.WriteString(w, l+"\n")
			must(t, err)
		}
	})
}

type parquetRow struct {
	Repo    string `parquet:"repo"`
	Path    string `parquet:"path"`
	Commit  string `parquet:"commit"`
	Content string `parquet:"content"`
	Kind    string `parquet:"kind"`
}

func writeParquet[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) {
	f, err := os.Create(path)
	must(t, err)
	w := parquet.NewGenericWriter[T](f, opts...)
	_, err = w.Write(rows)
	must(t, err)
	must(t, w.Close())
	must(t, f.Close())
}

func parquetRows(files []testFile) []parquetRow {
	rows := make([]parquetRow, len(files))
	for i, f := range files {
		repo, path := splitRepoPath(f.name, 2)
		rows[i] = parquetRow{Repo: repo, Path: path, Commit: "0123abcd", Content: f.content, Kind: "real"}
	}
	return rows
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantMembers is what the directory and tar readers give for testFiles.
func wantMembers(dump string) []got {
	var want []got
	for _, f := range testFiles {
		repo, path := splitRepoPath(f.name, 2)
		want = append(want, got{Origin: Origin{Dump: dump, Member: f.name, Repo: repo, Path: path}, Content: f.content})
	}
	return want
}

// wantLines is what the JSONL and Parquet readers give for testFiles, the
// i-th at line lines[i].
func wantLines(dump string, lines ...int64) []got {
	var want []got
	for i, f := range testFiles {
		repo, path := splitRepoPath(f.name, 2)
		want = append(want, got{Origin: Origin{Dump: dump, Line: lines[i], Repo: repo, Path: path}, Content: f.content})
	}
	return want
}

func TestReadFormats(t *testing.T) {
	var lines []string
	for _, f := range testFiles {
		lines = append(lines, jsonlLine(t, f))
	}
	// A blank line still counts for the line numbers.
	lines = slices.Insert(lines, 2, "")
	tarCase := func(t *testing.T, p string) { writeTar(t, p, testFiles) }
	jsonlCase := func(t *testing.T, p string) { writeJSONL(t, p, lines) }
	tests := []struct {
		name  string // file name, or a directory's
		build func(t *testing.T, path string)
		want  func(path string) []got
	}{
		{"tree", func(t *testing.T, p string) {
			writeDir(t, p, testFiles)
			must(t, os.Symlink(filepath.FromSlash(testFiles[0].name), filepath.Join(p, "zz-link.yml")))
		}, func(p string) []got {
			// The link to the first file is read under its own name.
			return append(wantMembers(p), got{Origin: Origin{Dump: p, Member: "zz-link.yml", Path: "zz-link.yml"}, Content: testFiles[0].content})
		}},
		{"dump.tar", tarCase, wantMembers},
		{"dump.tar.gz", tarCase, wantMembers},
		{"dump.tgz", tarCase, wantMembers},
		{"dump.tar.zst", tarCase, wantMembers},
		{"DUMP.TZST", tarCase, wantMembers},
		{"dump.jsonl", jsonlCase, func(p string) []got { return wantLines(p, 1, 2, 4, 5) }},
		{"dump.ndjson", jsonlCase, func(p string) []got { return wantLines(p, 1, 2, 4, 5) }},
		{"dump.jsonl.gz", jsonlCase, func(p string) []got { return wantLines(p, 1, 2, 4, 5) }},
		{"dump.jsonl.zst", jsonlCase, func(p string) []got { return wantLines(p, 1, 2, 4, 5) }},
		{"dump.ndjson.zst", jsonlCase, func(p string) []got { return wantLines(p, 1, 2, 4, 5) }},
		{"dump.parquet", func(t *testing.T, p string) { writeParquet(t, p, parquetRows(testFiles)) }, func(p string) []got { return wantLines(p, 1, 2, 3, 4) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.name)
			tt.build(t, path)
			recs, err := readAll(t, path, DefaultReadOptions())
			if err != nil {
				t.Fatal(err)
			}
			if g, w := summarize(recs), tt.want(path); !reflect.DeepEqual(g, w) {
				t.Errorf("records:\n got %+v\nwant %+v", g, w)
			}
		})
	}
}

// randomFiles makes n members of hard-to-compress content, so that the
// compressed stream has many blocks and can be cut in the middle.
func randomFiles(n int) []testFile {
	rng := rand.New(rand.NewPCG(1, 2))
	files := make([]testFile, n)
	for i := range files {
		b := make([]byte, 1500)
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		files[i] = testFile{fmt.Sprintf("o/r%03d/.github/workflows/w.yml", i), "on: push\n# " + hex.EncodeToString(b) + "\n"}
	}
	return files
}

func TestReadTruncated(t *testing.T) {
	files := randomFiles(300)
	var lines []string
	for _, f := range files {
		lines = append(lines, jsonlLine(t, f))
	}
	for _, name := range []string{"cut.tar.zst", "cut.jsonl.zst", "cut.tar.gz", "cut.jsonl.gz", "cut.tar"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			if strings.Contains(name, ".tar") {
				writeTar(t, path, files)
			} else {
				writeJSONL(t, path, lines)
			}
			fi, err := os.Stat(path)
			must(t, err)
			// Cut inside a member (tar) / line (JSONL), well past the start.
			must(t, os.Truncate(path, fi.Size()*6/10+100))
			recs, err := readAll(t, path, DefaultReadOptions())
			if err == nil {
				t.Fatalf("no error after %d records", len(recs))
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "offset ") {
				t.Errorf("error does not name the file and offset: %v", err)
			}
			if strings.Contains(name, ".jsonl") && !strings.Contains(err.Error(), fmt.Sprintf("line %d:", len(recs)+1)) {
				t.Errorf("error does not name line %d: %v", len(recs)+1, err)
			}
			t.Logf("%d records, then %v", len(recs), err)
			if len(recs) == 0 || len(recs) >= len(files) {
				t.Fatalf("got %d records before the error, want some but not all %d", len(recs), len(files))
			}
			for i, r := range recs {
				if string(r.Content) != files[i].content || r.Reject != nil {
					t.Fatalf("record %d (%s) differs from what was written", i, r.Source())
				}
			}
		})
	}
}

func TestReadJSONLBadLines(t *testing.T) {
	lines := []string{
		`{"repo":"a/b","path":".github/workflows/ok.yml","content":"on: push\n"}`,
		`not json`,
		`[1, 2]`,
		`{"repo":"a/b","path":"x.yml"}`,
		`{"content": 5}`,
		`{"content":"on: push\n","repo":7}`,
		`   `,
		`{"content": null}`,
		`"just a string"`,
		`{"content":"x"} trailing`,
		`{"content":"on: [push]\n","path":null}` + "\r", // CRLF line ending; null path
	}
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	// The last line has no newline.
	must(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644))
	recs, err := readAll(t, path, DefaultReadOptions())
	if err != nil {
		t.Fatal(err)
	}
	bad := func(line int64, msg string) got {
		return got{Origin: Origin{Dump: path, Line: line}, Reject: fmt.Sprintf("bad_record: line %d: %s", line, msg)}
	}
	want := []got{
		{Origin: Origin{Dump: path, Line: 1, Repo: "a/b", Path: ".github/workflows/ok.yml"}, Content: "on: push\n"},
		bad(2, "invalid JSON: invalid character 'o' in literal null (expecting 'u')"),
		bad(3, "not a JSON object"),
		{Origin: Origin{Dump: path, Line: 4, Repo: "a/b", Path: "x.yml"}, Reject: `bad_record: line 4: no "content" field`},
		bad(5, `field "content" is not a string`),
		bad(6, `field "repo" is not a string`),
		bad(8, `field "content" is not a string`),
		bad(9, "not a JSON object"),
		bad(10, "invalid JSON: invalid character 't' after top-level value"),
		{Origin: Origin{Dump: path, Line: 11}, Content: "on: [push]\n"},
	}
	if g := summarize(recs); !reflect.DeepEqual(g, want) {
		t.Errorf("records:\n got %+v\nwant %+v", g, want)
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	// Longer than the reader's buffer and bufio.Scanner's default limit.
	long := strings.Repeat("# padding line with a tab\t\n", 20000)
	path := filepath.Join(t.TempDir(), "long.jsonl.gz")
	writeJSONL(t, path, []string{
		jsonlLine(t, testFile{"a/b/.github/workflows/long.yml", long}),
		jsonlLine(t, testFile{"a/b/.github/workflows/short.yml", ciYAML}),
	})
	opt := DefaultReadOptions()
	opt.MaxSize = 0
	recs, err := readAll(t, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || string(recs[0].Content) != long || string(recs[1].Content) != ciYAML || recs[1].Line != 2 {
		t.Fatalf("got %+v", summarize(recs))
	}
}

func TestReadMaxSize(t *testing.T) {
	files := []testFile{
		{"o/r/.github/workflows/a.yml", "on: push\n"},         // 9 bytes
		{"o/r/.github/workflows/b.yml", "on: pull_request\n"}, // 17 bytes
	}
	opt := DefaultReadOptions()
	opt.MaxSize = 10
	tests := []struct {
		name   string
		build  func(*testing.T, string)
		origin func(dump string, i int) Origin
		msg    string
	}{
		{"tree", func(t *testing.T, p string) { writeDir(t, p, files) }, memberOrigin(files), "17 bytes, over the limit of 10"},
		{"d.tar.zst", func(t *testing.T, p string) { writeTar(t, p, files) }, memberOrigin(files), "17 bytes, over the limit of 10"},
		{"d.jsonl", func(t *testing.T, p string) {
			writeJSONL(t, p, []string{jsonlLine(t, files[0]), jsonlLine(t, files[1])})
		}, lineOrigin(files), "line 2: 17 bytes, over the limit of 10"},
		{"d.parquet", func(t *testing.T, p string) { writeParquet(t, p, parquetRows(files)) }, lineOrigin(files), "row 2: 17 bytes, over the limit of 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.name)
			tt.build(t, path)
			recs, err := readAll(t, path, opt)
			must(t, err)
			want := []got{
				{Origin: tt.origin(path, 0), Content: files[0].content},
				{Origin: tt.origin(path, 1), Reject: "too_large: " + tt.msg},
			}
			if g := summarize(recs); !reflect.DeepEqual(g, want) {
				t.Errorf("records:\n got %+v\nwant %+v", g, want)
			}
			if recs[1].Content != nil {
				t.Errorf("too large record kept its content")
			}
		})
	}
}

func memberOrigin(files []testFile) func(string, int) Origin {
	return func(dump string, i int) Origin {
		repo, path := splitRepoPath(files[i].name, 2)
		return Origin{Dump: dump, Member: files[i].name, Repo: repo, Path: path}
	}
}

func lineOrigin(files []testFile) func(string, int) Origin {
	return func(dump string, i int) Origin {
		repo, path := splitRepoPath(files[i].name, 2)
		return Origin{Dump: dump, Line: int64(i + 1), Repo: repo, Path: path}
	}
}

func TestReadParquet(t *testing.T) {
	dir := t.TempDir()
	t.Run("null content", func(t *testing.T) {
		type row struct {
			Content *string `parquet:"content,optional"`
			Repo    *string `parquet:"repo,optional"`
		}
		s, repo := "on: push\n", "a/b"
		path := filepath.Join(dir, "null.parquet")
		writeParquet(t, path, []row{{&s, &repo}, {nil, &repo}, {&s, nil}})
		recs, err := readAll(t, path, DefaultReadOptions())
		must(t, err)
		want := []got{
			{Origin: Origin{Dump: path, Line: 1, Repo: "a/b"}, Content: s},
			{Origin: Origin{Dump: path, Line: 2, Repo: "a/b"}, Reject: "bad_record: row 2: null content"},
			{Origin: Origin{Dump: path, Line: 3}, Content: s},
		}
		if g := summarize(recs); !reflect.DeepEqual(g, want) {
			t.Errorf("records:\n got %+v\nwant %+v", g, want)
		}
	})
	t.Run("bytes and row groups", func(t *testing.T) {
		type row struct {
			Path string `parquet:"path"`
			Text []byte `parquet:"text"`
		}
		files := randomFiles(7)
		rows := make([]row, len(files))
		for i, f := range files {
			rows[i] = row{f.name, []byte(f.content)}
		}
		path := filepath.Join(dir, "groups.parquet")
		// Several row groups of several pages each.
		writeParquet(t, path, rows, parquet.MaxRowsPerRowGroup(3), parquet.PageBufferSize(1024))
		opt := DefaultReadOptions()
		opt.ContentField = "text"
		recs, err := readAll(t, path, opt)
		must(t, err)
		if len(recs) != len(files) {
			t.Fatalf("got %d records, want %d", len(recs), len(files))
		}
		for i, r := range recs {
			if r.Line != int64(i+1) || r.Path != files[i].name || string(r.Content) != files[i].content {
				t.Errorf("row %d: got %s %q, %d bytes", i+1, r.Source(), r.Path, len(r.Content))
			}
		}
	})
	t.Run("missing column", func(t *testing.T) {
		path := filepath.Join(dir, "nocontent.parquet")
		writeParquet(t, path, []struct {
			Code string `parquet:"code"`
			Path string `parquet:"path"`
		}{{"x", "y"}})
		_, err := readAll(t, path, DefaultReadOptions())
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "columns: code, path") {
			t.Errorf("err = %v, want one naming the file and listing the columns", err)
		}
	})
	t.Run("not parquet", func(t *testing.T) {
		path := filepath.Join(dir, "junk.parquet")
		must(t, os.WriteFile(path, []byte("PAR1 this is not parquet"), 0o644))
		_, err := readAll(t, path, DefaultReadOptions())
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v, want one naming the file", err)
		}
	})
}

func TestReadStops(t *testing.T) {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "tree"), filepath.Join(dir, "d.tar.gz"), filepath.Join(dir, "d.jsonl.zst"), filepath.Join(dir, "d.parquet")}
	writeDir(t, paths[0], testFiles)
	writeTar(t, paths[1], testFiles)
	writeJSONL(t, paths[2], []string{jsonlLine(t, testFiles[0]), jsonlLine(t, testFiles[1])})
	writeParquet(t, paths[3], parquetRows(testFiles))
	errFull := errors.New("sink full")
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			d, err := OpenDump(p, DefaultReadOptions())
			must(t, err)
			n := 0
			err = d.Records(context.Background(), func(*Record) error { n++; return errFull })
			if err != errFull || n != 1 {
				t.Errorf("emit error: got %v after %d records, want %v after 1", err, n, errFull)
			}
			ctx, cancel := context.WithCancel(context.Background())
			n = 0
			err = d.Records(ctx, func(*Record) error { n++; cancel(); return nil })
			if !errors.Is(err, context.Canceled) || n != 1 {
				t.Errorf("cancel: got %v after %d records, want %v after 1", err, n, context.Canceled)
			}
		})
	}
}

func TestOpenDump(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.zip", "b.txt", "c.gz", "noext"} {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, nil, 0o644))
		if _, err := OpenDump(p, DefaultReadOptions()); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("OpenDump(%s): err = %v, want an error naming it", name, err)
		}
	}
	missing := filepath.Join(dir, "missing.jsonl")
	if _, err := OpenDump(missing, DefaultReadOptions()); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("OpenDump(missing): err = %v", err)
	}
	for name, want := range map[string]Dump{
		"x.JSONL.ZST": &jsonlDump{comp: compZstd},
		"x.tar.gz":    &tarDump{comp: compGzip},
		"x.parquet":   &parquetDump{},
		"x.ndjson":    &jsonlDump{},
	} {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, nil, 0o644))
		d, err := OpenDump(p, ReadOptions{})
		must(t, err)
		if reflect.TypeOf(d) != reflect.TypeOf(want) {
			t.Errorf("OpenDump(%s) = %T, want %T", name, d, want)
		}
	}
}

func TestExpandInputs(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.jsonl", "a.jsonl", "c.parquet"} {
		must(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	j := func(n string) string { return filepath.Join(dir, n) }
	tests := []struct {
		args    []string
		want    []string
		wantErr string // substring of the error
	}{
		{args: []string{j("*.jsonl")}, want: []string{j("a.jsonl"), j("b.jsonl")}},
		{args: []string{j("c.parquet"), j("*"), j("a.jsonl")}, want: []string{j("c.parquet"), j("a.jsonl"), j("b.jsonl")}},
		{args: []string{j("b.jsonl"), j("b.jsonl"), j("[ab].jsonl")}, want: []string{j("b.jsonl"), j("a.jsonl")}},
		{args: []string{dir}, want: []string{dir}},
		{args: nil, want: nil},
		{args: []string{j("a.jsonl"), j("nope.jsonl")}, wantErr: j("nope.jsonl")},
		{args: []string{j("*.tar")}, wantErr: j("*.tar")},
		{args: []string{j("[.jsonl")}, wantErr: "syntax error in pattern"},
	}
	for _, tt := range tests {
		got, err := ExpandInputs(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ExpandInputs(%q): err = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ExpandInputs(%q) = %q, %v; want %q", tt.args, got, err, tt.want)
		}
	}
}

func TestSplitRepoPath(t *testing.T) {
	tests := []struct {
		rel        string
		depth      int
		repo, path string
	}{
		{"o/r/.github/workflows/ci.yml", 2, "o/r", ".github/workflows/ci.yml"},
		{"o/r/x", 2, "o/r", "x"},
		{"o/r", 2, "", "o/r"},
		{"o/r/", 2, "", "o/r/"},
		{"ci.yml", 2, "", "ci.yml"},
		{"o/r/ci.yml", 0, "", "o/r/ci.yml"},
		{"r/.github/ci.yml", 1, "r", ".github/ci.yml"},
	}
	for _, tt := range tests {
		if repo, path := splitRepoPath(tt.rel, tt.depth); repo != tt.repo || path != tt.path {
			t.Errorf("splitRepoPath(%q, %d) = %q, %q; want %q, %q", tt.rel, tt.depth, repo, path, tt.repo, tt.path)
		}
	}
}

const corpusDir = "../../shared/corpus"

// TestReadSharedCorpus checks that the three shared dumps hold the same files.
// All content is non-empty except one file that is empty in the source
// repository (apache/opendal's service_test_dropbox.yml).
func TestReadSharedCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 10 MB of dumps")
	}
	type where struct{ repo, path string }
	var ref map[[32]byte]where // from the JSONL dump
	for _, name := range []string{"workflows.jsonl.zst", "workflows.parquet", "workflows.tar.zst"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(corpusDir, name)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("no shared corpus: %v", err)
			}
			recs, err := readAll(t, path, DefaultReadOptions())
			must(t, err)
			sums := make(map[[32]byte]where)
			empty := 0
			for _, r := range recs {
				if r.Member == "MANIFEST.jsonl" {
					continue
				}
				if r.Reject != nil || r.Content == nil {
					t.Fatalf("%s: rejected or without content: %v", r.Source(), r.Reject)
				}
				if len(r.Content) == 0 {
					empty++
				}
				sum := sha256.Sum256(r.Content)
				if _, dup := sums[sum]; dup {
					t.Errorf("%s: content seen before", r.Source())
				}
				sums[sum] = where{r.Repo, r.Path}
			}
			if len(sums) != 8464 || empty != 1 {
				t.Errorf("%d records, %d empty; want 8464, 1 empty", len(sums), empty)
			}
			if ref == nil {
				ref = sums
				return
			}
			// Same content and, by sha256, the same repository and path.
			if !reflect.DeepEqual(sums, ref) {
				n := 0
				for s, w := range sums {
					if rw, ok := ref[s]; !ok || rw != w {
						if n++; n <= 5 {
							t.Errorf("%x at %v: JSONL has %v (present: %v)", s[:6], w, rw, ok)
						}
					}
				}
				t.Errorf("%d records differ from the JSONL dump", n)
			}
		})
	}
}

func BenchmarkReadCorpus(b *testing.B) {
	for _, name := range []string{"workflows.jsonl.zst", "workflows.parquet", "workflows.tar.zst"} {
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(corpusDir, name)
			if _, err := os.Stat(path); err != nil {
				b.Skipf("no shared corpus: %v", err)
			}
			d, err := OpenDump(path, DefaultReadOptions())
			must(b, err)
			var n, size int64
			for b.Loop() {
				n, size = 0, 0
				err := d.Records(context.Background(), func(r *Record) error {
					n++
					size += int64(len(r.Content))
					return nil
				})
				must(b, err)
			}
			b.SetBytes(size)
			b.ReportMetric(float64(n), "records")
		})
	}
}

func FuzzJSONLReader(f *testing.F) {
	f.Add([]byte(`{"repo":"a/b","path":"p.yml","content":"on: push\n"}` + "\n\n{\"content\":1}\n[\n"))
	f.Add([]byte("{\"content\":\"\"}\r\n{\"content\":\"\\u00e9\\ud800\"}"))
	f.Add([]byte("\xef\xbb\xbf{\"content\":\"x\",\"repo\":null,\"path\":{}}\nnull\n"))
	f.Add([]byte(`{"content":"` + strings.Repeat("y", 100) + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.jsonl")
		must(t, os.WriteFile(path, data, 0o644))
		opt := DefaultReadOptions()
		opt.MaxSize = 64
		recs, err := readAll(t, path, opt)
		if err != nil {
			t.Fatalf("plain JSONL gave an error: %v", err)
		}
		for _, r := range recs {
			if (r.Content == nil) == (r.Reject == nil) {
				t.Fatalf("%s: content %q with reject %v", r.Source(), r.Content, r.Reject)
			}
			if r.Line < 1 || r.Line > int64(bytes.Count(data, []byte("\n"))+1) {
				t.Fatalf("line %d out of range", r.Line)
			}
		}
	})
}

// A single .yml/.yaml/.json file is a dump of one record, its path the file's path.
func TestFileDump(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ci.yml")
	content := []byte("on: push\njobs: {}\n")
	must(t, os.WriteFile(p, content, 0o644))
	d, err := OpenDump(p, DefaultReadOptions())
	must(t, err)
	var got []*Record
	must(t, d.Records(context.Background(), func(r *Record) error { got = append(got, r); return nil }))
	if len(got) != 1 || string(got[0].Content) != string(content) || got[0].Path != filepath.ToSlash(p) || got[0].Source() != p {
		t.Fatalf("records: %+v", got)
	}
	opt := DefaultReadOptions()
	opt.MaxSize = 4
	d, _ = OpenDump(p, opt)
	got = nil
	must(t, d.Records(context.Background(), func(r *Record) error { got = append(got, r); return nil }))
	if len(got) != 1 || got[0].Reject == nil || got[0].Reject.Reason != ReasonTooLarge || got[0].Content != nil {
		t.Fatalf("too large: %+v", got[0])
	}
}

// Links in a directory dump: one to a file inside is read, every other one
// is rejected as bad_symlink with a reason; none is left out.
func TestReadDirSymlinks(t *testing.T) {
	root := filepath.Join(t.TempDir(), "dump")
	outside := filepath.Join(filepath.Dir(root), "outside.yml")
	must(t, os.WriteFile(outside, []byte(ciYAML), 0o644))
	wf := filepath.Join(root, "o", "r", ".github", "workflows")
	must(t, os.MkdirAll(wf, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "o", "shared.yml"), []byte(ciYAML), 0o644))
	links := map[string]string{
		"a-inside.yml":   "../../../shared.yml",
		"b-dangling.yml": "nope.yml",
		"c-loop1.yml":    "c-loop2.yml",
		"c-loop2.yml":    "c-loop1.yml",
		"d-outside.yml":  outside,
		"e-dir.yml":      "..",
	}
	for name, target := range links {
		must(t, os.Symlink(target, filepath.Join(wf, name)))
	}
	recs, err := readAll(t, root, DefaultReadOptions())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Record{}
	for _, r := range recs {
		byName[filepath.Base(r.Member)] = r
	}
	if len(recs) != len(links)+1 {
		t.Fatalf("%d records, want %d: %+v", len(recs), len(links)+1, summarize(recs))
	}
	if r := byName["a-inside.yml"]; r.Reject != nil || string(r.Content) != ciYAML || r.Member != "o/r/.github/workflows/a-inside.yml" {
		t.Errorf("link inside the dump: %+v", summarize([]*Record{r}))
	}
	for name := range links {
		if r := byName[name]; name != "a-inside.yml" && (r.Reject == nil || r.Reject.Reason != ReasonBadSymlink || r.Reject.Message == "") {
			t.Errorf("%s: %+v", name, summarize([]*Record{r}))
		}
	}
}

// A JSONL line far over the size limit is skipped while streaming: it is
// rejected as too_large, the lines around it are read, and reading it costs
// memory in proportion to the limit, not to the line.
func TestReadJSONLHugeLineBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.jsonl")
	const huge = 60 << 20
	writeFile(t, path, func(w io.Writer) {
		bw := bufio.NewWriterSize(w, 1<<20)
		fmt.Fprintln(bw, jsonlLine(t, testFiles[1]))
		fmt.Fprint(bw, `{"repo":"o/r","path":".github/workflows/big.yml","content":"`)
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		for range huge >> 20 {
			bw.Write(chunk)
		}
		fmt.Fprintln(bw, `"}`)
		fmt.Fprintln(bw, jsonlLine(t, testFiles[2]))
		must(t, bw.Flush())
	})
	opt := DefaultReadOptions()
	opt.MaxSize = 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	recs, err := readAll(t, path, opt)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Reject != nil || recs[2].Reject != nil || string(recs[2].Content) != testFiles[2].content {
		t.Fatalf("records: %+v", summarize(recs))
	}
	if r := recs[1].Reject; r == nil || r.Reason != ReasonTooLarge || !strings.HasPrefix(r.Message, "line 2: ") || recs[1].Line != 2 {
		t.Fatalf("the huge line: %+v", summarize(recs[1:2]))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*uint64(maxLine(opt.MaxSize)) {
		t.Errorf("reading allocated %d MB for a limit of %d MB", alloc>>20, opt.MaxSize>>20)
	}
}
