package shards

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// ShardInfo describes one finished shard file.
type ShardInfo struct {
	Name   string `json:"name"`
	Split  string `json:"split"`
	Kind   string `json:"kind"` // "windows" or "docs"
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// RollerOptions shape a rolling shard writer.
type RollerOptions struct {
	Dir, Prefix, Split, Kind string
	MaxBytes                 int64 // roll to a new file past this size
	RowGroupRows             int64 // rows per row group
	// Done, when set, says whether shard number i is already complete on
	// disk (a resumed run): then its bytes are computed but not written.
	Done func(i int, info ShardInfo) bool
	// Finished is called after each shard is renamed into place.
	Finished func(ShardInfo) error
}

// Roller writes rows of type T into numbered Parquet files (zstd), rolling
// by size. Each file is written under a temporary name, fsynced and renamed:
// a final name always holds a complete file.
type Roller[T any] struct {
	opt    RollerOptions
	i      int
	f      *os.File
	cw     *countWriter
	w      *parquet.GenericWriter[T]
	rows   int64
	shards []ShardInfo
}

type countWriter struct {
	w io.Writer
	n int64
	h hash.Hash
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

func NewRoller[T any](opt RollerOptions) *Roller[T] {
	if opt.RowGroupRows <= 0 {
		opt.RowGroupRows = 2048
	}
	return &Roller[T]{opt: opt}
}

// Name is the file name of shard i.
func (r *Roller[T]) Name(i int) string { return fmt.Sprintf("%s-%05d.parquet", r.opt.Prefix, i) }

func (r *Roller[T]) open() error {
	name := r.Name(r.i)
	var out io.Writer = io.Discard
	if r.opt.Done == nil || !r.opt.Done(r.i, ShardInfo{Name: name}) {
		f, err := os.CreateTemp(r.opt.Dir, "."+name+".tmp-*")
		if err != nil {
			return fmt.Errorf("create shard %s: %w", name, err)
		}
		r.f, out = f, f
	}
	r.cw = &countWriter{w: out, h: sha256.New()}
	r.w = parquet.NewGenericWriter[T](r.cw,
		parquet.Compression(pageCodec),
		parquet.MaxRowsPerRowGroup(r.opt.RowGroupRows),
		parquet.PageBufferSize(1<<20),
		parquet.CreatedBy("tct", "1", ""))
	r.rows = 0
	return nil
}

// Write appends rows, rolling to a new file when the current one is full.
func (r *Roller[T]) Write(rows ...T) error {
	for _, row := range rows {
		if r.w == nil {
			if err := r.open(); err != nil {
				return err
			}
		}
		if _, err := r.w.Write([]T{row}); err != nil {
			return fmt.Errorf("write shard %s: %w", r.Name(r.i), err)
		}
		r.rows++
		if r.rows%r.opt.RowGroupRows == 0 {
			if err := r.w.Flush(); err != nil {
				return fmt.Errorf("write shard %s: %w", r.Name(r.i), err)
			}
			if r.opt.MaxBytes > 0 && r.cw.n >= r.opt.MaxBytes {
				if err := r.closeShard(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (r *Roller[T]) closeShard() error {
	name := r.Name(r.i)
	if err := r.w.Close(); err != nil {
		return fmt.Errorf("close shard %s: %w", name, err)
	}
	info := ShardInfo{Name: name, Split: r.opt.Split, Kind: r.opt.Kind, Rows: r.rows, Bytes: r.cw.n,
		SHA256: hex.EncodeToString(r.cw.h.Sum(nil))}
	if r.f != nil {
		if err := r.f.Sync(); err != nil {
			return fmt.Errorf("sync shard %s: %w", name, err)
		}
		if err := r.f.Close(); err != nil {
			return fmt.Errorf("close shard %s: %w", name, err)
		}
		if err := os.Chmod(r.f.Name(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(r.f.Name(), filepath.Join(r.opt.Dir, name)); err != nil {
			return fmt.Errorf("rename shard %s: %w", name, err)
		}
		r.f = nil
	}
	r.shards = append(r.shards, info)
	r.w = nil
	r.i++
	if r.opt.Finished != nil {
		return r.opt.Finished(info)
	}
	return nil
}

// Close finishes the last shard (an empty split writes no file) and
// returns every shard written.
func (r *Roller[T]) Close() ([]ShardInfo, error) {
	if r.w != nil {
		if err := r.closeShard(); err != nil {
			return nil, err
		}
	}
	return r.shards, nil
}

// Abort removes the temporary file of an unfinished shard.
func (r *Roller[T]) Abort() {
	if r.f != nil {
		r.f.Close()
		os.Remove(r.f.Name())
		r.f = nil
	}
}

// FileSHA256 hashes a file.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
