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
	lr := lineReader{br: br, max: maxLine(d.opt.MaxSize)}
	for lineNo := int64(1); ; lineNo++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, long, err := lr.next()
		if err != nil && err != io.EOF {
			// The partial line before the error is not a record.
			return fmt.Errorf("%s: line %d: offset %d: %w", d.name, lineNo, s.Offset(), err)
		}
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if line = bytes.Trim(line, " \t\r\n"); len(line) > 0 || long > 0 {
			rec := &Record{Origin: Origin{Dump: d.name, Line: lineNo}}
			if long > 0 {
				rec.Fail(ReasonTooLarge, fmt.Sprintf("line %d: a line of %d bytes, over the limit of %d for a file of at most %d", lineNo, long, lr.max, d.opt.MaxSize))
			} else {
				d.parse(line, rec)
			}
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

// maxLine is the longest JSONL line kept for a file limit of maxSize bytes
// (0: no limit): twice the limit, for the JSON escapes, and room for the
// other fields.
func maxLine(maxSize int64) int64 {
	if maxSize <= 0 {
		return 0
	}
	return 2*maxSize + 64<<10
}

// lineReader returns lines of up to max bytes (0: any length), using memory
// in proportion to the longest line kept; a longer line is skipped while
// streaming (bufio.Scanner would stop at a fixed limit).
type lineReader struct {
	br  *bufio.Reader
	buf []byte
	max int64
}

// next returns the next line with its newline, valid until the next call;
// for a line over max, no line but its length. At the end of input it
// returns the last, unterminated line with io.EOF.
func (l *lineReader) next() (line []byte, long int64, err error) {
	frag, err := l.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return frag, 0, err
	}
	l.buf = append(l.buf[:0], frag...)
	for err == bufio.ErrBufferFull {
		frag, err = l.br.ReadSlice('\n')
		if l.max > 0 && int64(len(l.buf)+len(frag)) > l.max {
			long, err = l.skip(int64(len(l.buf)+len(frag)), err)
			return nil, long, err
		}
		l.buf = l.grow(len(frag))
		l.buf = append(l.buf, frag...)
	}
	return l.buf, 0, err
}

// grow makes room for n more bytes, doubling (at most up to max), so that
// a long line costs about twice its length in allocations.
func (l *lineReader) grow(n int) []byte {
	if len(l.buf)+n <= cap(l.buf) {
		return l.buf
	}
	c := max(2*cap(l.buf), len(l.buf)+n)
	if l.max > 0 {
		c = min(c, int(l.max))
	}
	return append(make([]byte, 0, c), l.buf...)
}

// skip reads past the rest of a line over the limit and returns its length
// and the error that ended it (nil at a newline).
func (l *lineReader) skip(n int64, err error) (int64, error) {
	l.buf = l.buf[:0]
	for err == bufio.ErrBufferFull {
		var frag []byte
		frag, err = l.br.ReadSlice('\n')
		n += int64(len(frag))
	}
	return n, err
}
