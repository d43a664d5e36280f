package stages

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
)

// tarDump reads the regular members of a tar archive, optionally gzip or
// zstd compressed.
type tarDump struct {
	name string
	comp compression
	opt  ReadOptions
}

func newTarDump(name string, comp compression, opt ReadOptions) Dump {
	return &tarDump{name: name, comp: comp, opt: opt}
}

func (d *tarDump) Name() string { return d.name }

func (d *tarDump) Records(ctx context.Context, emit func(*Record) error) error {
	s, err := openStream(d.name, d.comp)
	if err != nil {
		return err
	}
	defer s.Close()
	tr := tar.NewReader(s.R)
	var member string // the member being read or, between members, the last one
	fail := func(err error) error {
		return fmt.Errorf("%s: member %q: offset %d: %w", d.name, member, s.Offset(), err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fail(err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		member = hdr.Name
		rec := &Record{Origin: Origin{Dump: d.name, Member: member}}
		rec.Repo, rec.Path = splitRepoPath(cleanMember(member), d.opt.RepoDepth)
		if d.opt.MaxSize > 0 && hdr.Size > d.opt.MaxSize {
			// tr.Next skips the unread bytes without buffering them.
			rec.Fail(ReasonTooLarge, fmt.Sprintf("%d bytes, over the limit of %d", hdr.Size, d.opt.MaxSize))
		} else if rec.Content, err = readMember(tr, hdr.Size); err != nil {
			return fail(err)
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
}

// readMember reads a member's body. The header's size is trusted only up to
// a point, so that a corrupt header cannot make us allocate terabytes.
func readMember(r io.Reader, size int64) ([]byte, error) {
	const trustUpTo = 64 << 20
	if size > trustUpTo {
		return io.ReadAll(r)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// cleanMember makes "./owner/name/x" and "/owner/name/x" look like
// "owner/name/x" for the repository split.
func cleanMember(name string) string {
	return strings.TrimLeft(path.Clean("/"+name), "/")
}
