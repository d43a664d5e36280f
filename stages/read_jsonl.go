package stages

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// jsonlDump reads JSON Lines, optionally gzip or zstd compressed: one object
// per line with the content and, optionally, repository and path fields.
type jsonlDump struct {
	name string
	comp compression
	opt  ReadOptions
}

func newJSONLDump(name string, comp compression, opt ReadOptions) Dump {
	return &jsonlDump{name: name, comp: comp, opt: opt}
}

func (d *jsonlDump) Name() string { return d.name }

func (d *jsonlDump) Records(ctx context.Context, emit func(*Record) error) error {
	if d.opt.ContentField == "" {
		return fmt.Errorf("%s: no content field configured", d.name)
	}
	s, err := openStream(d.name, d.comp)
	if err != nil {
		return err
	}
	defer s.Close()
	br, ok := s.R.(*bufio.Reader) // an uncompressed file is buffered already
	if !ok {
		br = bufio.NewReaderSize(s.R, 64<<10)
	}
	lr := lineReader{br: br}
	for lineNo := int64(1); ; lineNo++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := lr.next()
		if err != nil && err != io.EOF {
			// The partial line before the error is not a record.
			return fmt.Errorf("%s: line %d: offset %d: %w", d.name, lineNo, s.Offset(), err)
		}
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if line = bytes.Trim(line, " \t\r\n"); len(line) > 0 {
			rec := &Record{Origin: Origin{Dump: d.name, Line: lineNo}}
			d.parse(line, rec)
			if err := emit(rec); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

var utf8BOM = []byte("\xef\xbb\xbf")

// parse fills rec from one non-blank line, or rejects it as bad_record.
func (d *jsonlDump) parse(line []byte, rec *Record) {
	bad := func(format string, args ...any) {
		rec.Fail(ReasonBadRecord, fmt.Sprintf("line %d: ", rec.Line)+fmt.Sprintf(format, args...))
	}
	if line[0] != '{' {
		if err := json.Unmarshal(line, new(json.RawMessage)); err != nil {
			bad("invalid JSON: %v", err)
		} else {
			bad("not a JSON object")
		}
		return
	}
	if !json.Valid(line) {
		var probe json.RawMessage
		bad("invalid JSON: %v", json.Unmarshal(line, &probe))
		return
	}
	vals, kinds, err := topFields(line, [3]string{d.opt.RepoField, d.opt.PathField, d.opt.ContentField})
	if err != nil {
		bad("invalid JSON: %v", err)
		return
	}
	// Repo and path first, so that a reject for the content still says
	// where the record came from. A null repo or path counts as absent.
	for n, dst := range []*string{&rec.Repo, &rec.Path} {
		if kinds[n] == fieldOther {
			bad("field %q is not a string", [2]string{d.opt.RepoField, d.opt.PathField}[n])
			return
		}
		*dst = string(vals[n])
	}
	switch kinds[2] {
	case fieldAbsent:
		bad("no %q field", d.opt.ContentField)
		return
	case fieldNull, fieldOther:
		bad("field %q is not a string", d.opt.ContentField)
		return
	}
	content := vals[2]
	if d.opt.MaxSize > 0 && int64(len(content)) > d.opt.MaxSize {
		rec.Fail(ReasonTooLarge, fmt.Sprintf("line %d: %d bytes, over the limit of %d", rec.Line, len(content), d.opt.MaxSize))
		return
	}
	rec.Content = content
}

// lineReader returns lines of any length, using memory in proportion to the
// longest one (bufio.Scanner would stop at a fixed limit).
type lineReader struct {
	br  *bufio.Reader
	buf []byte
}

// next returns the next line with its newline, valid until the next call.
// At the end of input it returns the last, unterminated line with io.EOF.
func (l *lineReader) next() ([]byte, error) {
	frag, err := l.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return frag, err
	}
	l.buf = append(l.buf[:0], frag...)
	for err == bufio.ErrBufferFull {
		frag, err = l.br.ReadSlice('\n')
		l.buf = append(l.buf, frag...)
	}
	return l.buf, err
}
