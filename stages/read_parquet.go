package stages

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// parquetDump reads the content, repository and path columns of a Parquet
// file. Only those column chunks are decoded, a page at a time, so memory
// depends on the page size, not on the file or the other columns.
type parquetDump struct {
	name string
	opt  ReadOptions
}

func newParquetDump(name string, _ compression, opt ReadOptions) Dump {
	return &parquetDump{name: name, opt: opt}
}

func (d *parquetDump) Name() string { return d.name }

func (d *parquetDump) Records(ctx context.Context, emit func(*Record) error) error {
	f, err := os.Open(d.name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, fi.Size(),
		parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(64<<10))
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	schema := pf.Schema()
	content, err := d.column(schema, d.opt.ContentField, true)
	if err != nil {
		return err
	}
	repo, err := d.column(schema, d.opt.RepoField, false)
	if err != nil {
		return err
	}
	path, err := d.column(schema, d.opt.PathField, false)
	if err != nil {
		return err
	}

	var row int64 // rows read so far, over all row groups
	for g, rg := range pf.RowGroups() {
		if err := d.readGroup(ctx, g, rg, content, repo, path, &row, emit); err != nil {
			return err
		}
	}
	return nil
}

// readGroup emits the rows of one row group, reading the chosen columns side
// by side. They are flat columns, so each value is one row.
func (d *parquetDump) readGroup(ctx context.Context, g int, rg parquet.RowGroup, content, repo, path int, row *int64, emit func(*Record) error) error {
	chunks := rg.ColumnChunks()
	cur := func(i int) *columnCursor {
		if i < 0 {
			return nil
		}
		return newColumnCursor(chunks[i])
	}
	cc, rc, pc := cur(content), cur(repo), cur(path)
	defer func() {
		for _, c := range []*columnCursor{cc, rc, pc} {
			c.close()
		}
	}()
	fail := func(field string, err error) error {
		return fmt.Errorf("%s: row group %d, row %d: column %q: %w", d.name, g, *row, field, err)
	}
	for n := rg.NumRows(); n > 0; n-- {
		if err := ctx.Err(); err != nil {
			return err
		}
		*row++
		rec := &Record{Origin: Origin{Dump: d.name, Line: *row}}
		cv, err := cc.next()
		if err != nil {
			return fail(d.opt.ContentField, err)
		}
		if rec.Repo, err = rc.nextString(); err != nil {
			return fail(d.opt.RepoField, err)
		}
		if rec.Path, err = pc.nextString(); err != nil {
			return fail(d.opt.PathField, err)
		}
		switch b := cv.ByteArray(); {
		case cv.IsNull():
			rec.Fail(ReasonBadRecord, fmt.Sprintf("row %d: null content", *row))
		case d.opt.MaxSize > 0 && int64(len(b)) > d.opt.MaxSize:
			rec.Fail(ReasonTooLarge, fmt.Sprintf("row %d: %d bytes, over the limit of %d", *row, len(b), d.opt.MaxSize))
		default:
			// The value points into a page buffer that will be reused.
			rec.Content = append(make([]byte, 0, len(b)), b...)
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
	return nil
}

// column finds the leaf column for a field: its dotted path, or else the
// one leaf with that name. It returns -1 for an optional field that is
// absent or not configured.
func (d *parquetDump) column(schema *parquet.Schema, field string, required bool) (int, error) {
	if field == "" && !required {
		return -1, nil
	}
	cols := schema.Columns()
	found := -1
	for i, p := range cols {
		if strings.Join(p, ".") == field {
			found = i
			break
		}
	}
	if found < 0 {
		for i, p := range cols {
			if p[len(p)-1] == field {
				if found >= 0 {
					return 0, fmt.Errorf("%s: column name %q is ambiguous; give its full path", d.name, field)
				}
				found = i
			}
		}
	}
	if found < 0 {
		if !required {
			return -1, nil
		}
		names := make([]string, len(cols))
		for i, p := range cols {
			names[i] = strings.Join(p, ".")
		}
		return 0, fmt.Errorf("%s: no column %q (columns: %s)", d.name, field, strings.Join(names, ", "))
	}
	leaf, _ := schema.Lookup(cols[found]...)
	if leaf.MaxRepetitionLevel > 0 {
		return 0, fmt.Errorf("%s: column %q is repeated; want one value per row", d.name, field)
	}
	switch k := leaf.Node.Type().Kind(); k {
	case parquet.ByteArray, parquet.FixedLenByteArray:
	default:
		return 0, fmt.Errorf("%s: column %q is %s; want a string or byte array", d.name, field, k)
	}
	return found, nil
}

// columnCursor yields the values of one column chunk in order, decoding one
// page at a time.
type columnCursor struct {
	pages parquet.Pages
	page  parquet.Page
	vals  parquet.ValueReader // nil when page is used up
	buf   []parquet.Value
	i, n  int
}

func newColumnCursor(chunk parquet.ColumnChunk) *columnCursor {
	return &columnCursor{pages: chunk.Pages(), buf: make([]parquet.Value, 64)}
}

// next returns the next value. It stays valid until the cursor moves to the
// next page, that is, until the next call.
func (c *columnCursor) next() (parquet.Value, error) {
	for c.i >= c.n {
		if c.vals == nil {
			c.releasePage()
			p, err := c.pages.ReadPage()
			if err == io.EOF {
				return parquet.Value{}, io.ErrUnexpectedEOF // fewer values than rows
			}
			if err != nil {
				return parquet.Value{}, err
			}
			c.page, c.vals = p, p.Values()
		}
		n, err := c.vals.ReadValues(c.buf)
		c.i, c.n = 0, n
		if err == io.EOF {
			c.vals = nil
		} else if err != nil {
			return parquet.Value{}, err
		}
	}
	c.i++
	return c.buf[c.i-1], nil
}

// nextString returns the next value as a string; a nil cursor (no such
// column) and nulls give "".
func (c *columnCursor) nextString() (string, error) {
	if c == nil {
		return "", nil
	}
	v, err := c.next()
	if err != nil || v.IsNull() {
		return "", err
	}
	return string(v.ByteArray()), nil
}

func (c *columnCursor) releasePage() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
}

func (c *columnCursor) close() {
	if c == nil {
		return
	}
	c.releasePage()
	c.pages.Close()
}
