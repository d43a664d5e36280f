package stages

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// dirDump reads every regular file below a directory.
type dirDump struct {
	name string
	opt  ReadOptions
}

func (d *dirDump) Name() string { return d.name }

// Records walks the tree in lexical order; .git directories are skipped (a
// checkout's object store holds no workflow files worth reading). A symlink
// to a regular file inside the tree is read like a file under the link's
// name; any other link (dangling, looping, leaving the tree, to a directory)
// is rejected as bad_symlink.
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
		link := e.Type()&fs.ModeSymlink != 0
		if !e.Type().IsRegular() && !link {
			return nil // sockets, devices, pipes
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		rel = filepath.ToSlash(rel)
		rec := &Record{Origin: Origin{Dump: d.name, Member: rel}}
		rec.Repo, rec.Path = splitRepoPath(rel, d.opt.RepoDepth)
		if link {
			var why string
			if p, why = resolveLink(root, p); why != "" {
				rec.Fail(ReasonBadSymlink, why)
				return emit(rec)
			}
		}
		if err := d.read(p, rec); err != nil {
			return err
		}
		return emit(rec)
	})
}

// resolveLink returns the file a symlink leads to, or why it is not read.
func resolveLink(root, p string) (string, string) {
	t, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Sprintf("dangling or looping link: %v", err)
	}
	if rel, err := filepath.Rel(root, t); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Sprintf("the link leads out of the dump, to %s", t)
	}
	fi, err := os.Stat(t)
	switch {
	case err != nil:
		return "", err.Error()
	case fi.IsDir():
		return "", "a link to a directory (its files are read where they are)"
	case !fi.Mode().IsRegular():
		return "", fmt.Sprintf("a link to a special file (%s)", fi.Mode().Type())
	}
	return t, ""
}

// read fills rec.Content, or rejects rec as too large without reading it.
func (d *dirDump) read(p string, rec *Record) error {
	limit := d.opt.MaxSize
	info, err := os.Stat(p)
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
