package jobs

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

// Output is a file written atomically: to a temporary name beside the target,
// compressed by extension (.zst, .gz), and renamed into place by Commit. A
// reader never sees a half-written file under the final name.
type Output struct {
	path string
	tmp  *os.File
	buf  *bufio.Writer
	comp io.WriteCloser // nil when uncompressed
	w    io.Writer
}

// CreateOutput starts writing path ("-" writes to standard output, unbuffered by rename).
func CreateOutput(path string) (*Output, error) {
	o := &Output{path: path}
	if path == "-" {
		o.buf = bufio.NewWriterSize(os.Stdout, 256<<10)
		o.w = o.buf
		return o, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	o.tmp = tmp
	o.buf = bufio.NewWriterSize(tmp, 256<<10)
	o.w = o.buf
	switch {
	case strings.HasSuffix(path, ".zst"):
		zw, err := zstd.NewWriter(o.buf, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		if err != nil {
			o.Abort()
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		o.comp, o.w = zw, zw
	case strings.HasSuffix(path, ".gz"):
		gw := gzip.NewWriter(o.buf)
		o.comp, o.w = gw, gw
	}
	return o, nil
}

func (o *Output) Write(p []byte) (int, error) { return o.w.Write(p) }

// Commit flushes, syncs and renames the file into place.
func (o *Output) Commit() error {
	if o.comp != nil {
		if err := o.comp.Close(); err != nil {
			o.Abort()
			return fmt.Errorf("write %s: %w", o.path, err)
		}
	}
	if err := o.buf.Flush(); err != nil {
		o.Abort()
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	if o.tmp == nil {
		return nil
	}
	if err := o.tmp.Sync(); err != nil {
		o.Abort()
		return fmt.Errorf("sync %s: %w", o.path, err)
	}
	if err := o.tmp.Close(); err != nil {
		o.Abort()
		return fmt.Errorf("close %s: %w", o.path, err)
	}
	if err := os.Chmod(o.tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", o.path, err)
	}
	if err := os.Rename(o.tmp.Name(), o.path); err != nil {
		os.Remove(o.tmp.Name())
		return fmt.Errorf("rename into %s: %w", o.path, err)
	}
	return nil
}

// Abort drops the temporary file; safe after Commit.
func (o *Output) Abort() {
	if o.tmp != nil {
		o.tmp.Close()
		os.Remove(o.tmp.Name())
	}
}

// RejectsPath is the default rejects file beside an output file; none ("")
// when the output is standard output.
func RejectsPath(out string) string {
	if out == "-" || out == "" {
		return ""
	}
	base := out
	for _, ext := range []string{".zst", ".gz", ".jsonl", ".ndjson", ".json"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base + ".rejects.jsonl"
}
