package stages

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dirDump reads every regular file below a directory.
type dirDump struct {
	name string
	opt  ReadOptions
}

func (d *dirDump) Name() string { return d.name }

// Records walks the tree in lexical order. .git directories and symlinks are
// skipped: links could leave the tree or loop, and a checkout's object store
// holds no workflow files worth reading.
func (d *dirDump) Records(ctx context.Context, emit func(*Record) error) error {
	// WalkDir does not follow a root that is itself a symlink.
	root, err := filepath.EvalSymlinks(d.name)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			if e.Name() == ".git" && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		rel = filepath.ToSlash(rel)
		rec := &Record{Origin: Origin{Dump: d.name, Member: rel}}
		rec.Repo, rec.Path = splitRepoPath(rel, d.opt.RepoDepth)
		if err := d.read(p, e, rec); err != nil {
			return err
		}
		return emit(rec)
	})
}

// read fills rec.Content, or rejects rec as too large without reading it.
func (d *dirDump) read(p string, e fs.DirEntry, rec *Record) error {
	limit := d.opt.MaxSize
	info, err := e.Info()
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if limit > 0 && info.Size() > limit {
		rec.Fail(ReasonTooLarge, fmt.Sprintf("%d bytes, over the limit of %d", info.Size(), limit))
		return nil
	}
	content, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	// The file may have grown since it was listed.
	if limit > 0 && int64(len(content)) > limit {
		rec.Fail(ReasonTooLarge, fmt.Sprintf("%d bytes, over the limit of %d", len(content), limit))
		return nil
	}
	rec.Content = content
	return nil
}
