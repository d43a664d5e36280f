package stages

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// compression is the codec wrapped around a tar or JSONL stream.
type compression int

const (
	compNone compression = iota
	compGzip
	compZstd
)

// dumpFormats maps file name suffixes (lower case) to readers. Longer
// suffixes come first so that ".tar.gz" wins over a bare ".gz".
var dumpFormats = []struct {
	suffix string
	open   func(name string, comp compression, opt ReadOptions) Dump
	comp   compression
}{
	{".tar.gz", newTarDump, compGzip},
	{".tgz", newTarDump, compGzip},
	{".tar.zst", newTarDump, compZstd},
	{".tzst", newTarDump, compZstd},
	{".tar", newTarDump, compNone},
	{".jsonl.gz", newJSONLDump, compGzip},
	{".ndjson.gz", newJSONLDump, compGzip},
	{".jsonl.zst", newJSONLDump, compZstd},
	{".ndjson.zst", newJSONLDump, compZstd},
	{".jsonl", newJSONLDump, compNone},
	{".ndjson", newJSONLDump, compNone},
	{".parquet", newParquetDump, compNone},
	{".yml", newFileDump, compNone},
	{".yaml", newFileDump, compNone},
	{".json", newFileDump, compNone},
}

// OpenDump returns the reader for path: a directory tree, or an archive,
// JSONL or Parquet file chosen by its extension. Nothing is read yet; files
// are opened by Records, so many dumps can be opened up front.
func OpenDump(path string, opt ReadOptions) (Dump, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open dump: %w", err)
	}
	if fi.IsDir() {
		return &dirDump{name: path, opt: opt}, nil
	}
	lower := strings.ToLower(filepath.Base(path))
	for _, f := range dumpFormats {
		if strings.HasSuffix(lower, f.suffix) {
			return f.open(path, f.comp, opt), nil
		}
	}
	return nil, fmt.Errorf("open dump %s: unknown file type (want a directory, .tar, .tar.gz, .tgz, .tar.zst, .tzst, .jsonl, .ndjson (optionally .gz or .zst), .parquet, or one .yml/.yaml/.json file)", path)
}

// ExpandInputs turns command-line arguments into dump paths. An argument with
// glob metacharacters is expanded with filepath.Glob; anything else must
// exist. Order is kept and exact repeats are dropped.
func ExpandInputs(args []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, arg := range args {
		if strings.ContainsAny(arg, "*?[") {
			matches, err := filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("input %q: %w", arg, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("input %q: no file matches the pattern", arg)
			}
			for _, m := range matches {
				add(m)
			}
			continue
		}
		if _, err := os.Stat(arg); err != nil {
			return nil, fmt.Errorf("input %q: %w", arg, err)
		}
		add(arg)
	}
	return out, nil
}

// splitRepoPath splits a member path ("owner/name/.github/workflows/ci.yml")
// into the repository (its first depth components) and the path in it. A
// member with no components left over for the path has no repository.
func splitRepoPath(rel string, depth int) (repo, path string) {
	if depth <= 0 {
		return "", rel
	}
	i, n := 0, 0
	for n < depth {
		j := strings.IndexByte(rel[i:], '/')
		if j < 0 {
			return "", rel
		}
		i += j + 1
		n++
	}
	if i >= len(rel) {
		return "", rel
	}
	return rel[:i-1], rel[i:]
}

// countingReader counts the bytes read from the file, so that errors can say
// how far into the compressed stream they happened.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// stream is an opened, possibly compressed, file.
type stream struct {
	f   *os.File
	cnt countingReader
	buf *bufio.Reader
	dec *zstd.Decoder
	// R yields the decompressed bytes.
	R io.Reader
}

// openStream opens name and wraps it in the decompressor for comp. The
// decompressor reads from a *bufio.Reader (which klauspost's flate reads
// fastest) on top of the byte counter.
func openStream(name string, comp compression) (*stream, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	s := &stream{f: f}
	s.cnt.r = f
	s.buf = bufio.NewReaderSize(&s.cnt, 64<<10)
	switch comp {
	case compGzip:
		s.R, err = gzip.NewReader(s.buf)
	case compZstd:
		// One goroutine and small buffers: many dumps may be read at once.
		s.dec, err = zstd.NewReader(s.buf, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		s.R = s.dec
	default:
		s.R = s.buf
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: offset 0: %w", name, err)
	}
	return s, nil
}

// Offset is how many bytes of the file the decompressor has consumed.
func (s *stream) Offset() int64 { return s.cnt.n - int64(s.buf.Buffered()) }

func (s *stream) Close() error {
	if s.dec != nil {
		s.dec.Close()
	}
	return s.f.Close()
}
