package stages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// fileDump is a single workflow file (.yml, .yaml or .json) given directly:
// one record whose path is the file's path.
type fileDump struct {
	name string
	opt  ReadOptions
}

func newFileDump(name string, _ compression, opt ReadOptions) Dump {
	return &fileDump{name: name, opt: opt}
}

func (d *fileDump) Name() string { return d.name }

func (d *fileDump) Records(ctx context.Context, emit func(*Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &Record{Origin: Origin{Dump: d.name, Path: filepath.ToSlash(d.name)}}
	fi, err := os.Stat(d.name)
	if err != nil {
		return err
	}
	if d.opt.MaxSize > 0 && fi.Size() > d.opt.MaxSize {
		r.Fail(ReasonTooLarge, fmt.Sprintf("%d bytes, over the limit of %d", fi.Size(), d.opt.MaxSize))
		return emit(r)
	}
	if r.Content, err = os.ReadFile(d.name); err != nil {
		return err
	}
	return emit(r)
}
