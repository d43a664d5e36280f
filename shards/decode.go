package shards

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// chunk is a decoded record batch of a row group, or the end of an epoch.
type chunk struct {
	rec     arrow.RecordBatch
	values  []int32 // the flat token ids of the rows, straight from Arrow's buffer
	offsets []int32 // rows+1 offsets into values
	segs    []int32 // the flat segment ids of a packed split (the same offsets), else nil
	docs    []int64
	valid   []int32
	end     bool // end of the epoch
	err     error
}

// decode reads the split's row groups, epoch after epoch from epoch, in
// the epoch's order, and sends them to out with an end mark per epoch.
func (l *Loader) decode(ctx context.Context, epoch int, out chan<- chunk) {
	send := func(c chunk) bool {
		select {
		case out <- c:
			return true
		case <-ctx.Done():
			if c.rec != nil {
				c.rec.Release()
			}
			return false
		}
	}
	for ; ; epoch++ {
		order := make([]int, len(l.files))
		for i := range order {
			order[i] = i
		}
		if l.opt.Shuffle {
			newRNG(l.opt.Seed, epoch, streamShards, 0).shuffle(order)
		}
		for _, fi := range order {
			if err := l.readShard(ctx, epoch, fi, send); err != nil {
				if ctx.Err() == nil {
					send(chunk{err: err})
				}
				return
			}
		}
		if !send(chunk{end: true}) || !l.opt.Shuffle {
			return
		}
	}
}

// readShard sends the row groups of shard fi, in the epoch's order.
func (l *Loader) readShard(ctx context.Context, epoch, fi int, send func(chunk) bool) (err error) {
	info := l.files[fi]
	path := filepath.Join(l.dir, info.Name)
	defer func() {
		// A damaged file must not take the trainer down: a decoder that
		// panics on it becomes an error naming the file.
		if p := recover(); p != nil {
			err = fmt.Errorf("shard %s: corrupt (decoder panic: %v)", path, p)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("shard %s: %w", path, err)
	}
	defer f.Close()
	// A cheap check before parquet sees the file: a truncated or replaced
	// shard usually has another size (Verify also compares the sha256).
	if st, err := f.Stat(); err != nil {
		return fmt.Errorf("shard %s: %w", path, err)
	} else if st.Size() != info.Bytes {
		return fmt.Errorf("shard %s: %d bytes, the manifest says %d: truncated or replaced", path, st.Size(), info.Bytes)
	}
	props := parquet.NewReaderProperties(l.mem)
	pf, err := file.NewParquetReader(f, file.WithReadProps(props))
	if err != nil {
		return fmt.Errorf("shard %s: %w", path, err)
	}
	// pf.Close would close f, which the deferred f.Close does.
	if n := pf.NumRows(); n != info.Rows {
		return fmt.Errorf("shard %s: %d rows, the manifest says %d", path, n, info.Rows)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, l.mem)
	if err != nil {
		return fmt.Errorf("shard %s: %w", path, err)
	}
	var leaves []int
	names := []string{"tokens", "doc_id", "valid"}
	if l.packed {
		names = append(names, "segment_starts")
	}
	for _, name := range names {
		i := leafIndex(pf, name)
		if i < 0 {
			return fmt.Errorf("shard %s: no column %q: not a window shard (of this layout: pack %t)", path, name, l.packed)
		}
		leaves = append(leaves, i)
	}
	groups := make([]int, pf.NumRowGroups())
	for i := range groups {
		groups[i] = i
	}
	if l.opt.Shuffle {
		newRNG(l.opt.Seed, epoch, streamRowGroups, uint64(fi)).shuffle(groups)
	}
	for _, rg := range groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.readRowGroup(ctx, fr, leaves, rg, send); err != nil {
			return fmt.Errorf("shard %s: row group %d: %w", path, rg, err)
		}
	}
	return nil
}

// leafIndex is the index of the first leaf column under the top-level
// field name, or -1.
func leafIndex(pf *file.Reader, name string) int {
	sc := pf.MetaData().Schema
	for i := 0; i < sc.NumColumns(); i++ {
		if p := sc.Column(i).ColumnPath(); len(p) > 0 && p[0] == name {
			return i
		}
	}
	return -1
}

func (l *Loader) readRowGroup(ctx context.Context, fr *pqarrow.FileReader, leaves []int, rg int, send func(chunk) bool) error {
	rr, err := fr.GetRecordReader(ctx, leaves, []int{rg})
	if err != nil {
		return err
	}
	defer rr.Release()
	l.stats.rowGroups.Add(1)
	l.stats.bytes.Add(fr.ParquetReader().MetaData().RowGroup(rg).TotalCompressedSize())
	for rr.Next() {
		rec := rr.RecordBatch()
		c, err := l.columns(rec)
		if err != nil {
			return err
		}
		rec.Retain() // the reader releases its record on the next Next
		c.rec = rec
		l.stats.windows.Add(rec.NumRows())
		if !send(c) {
			return ctx.Err()
		}
	}
	return rr.Err()
}

// columns takes the columns of a record batch as plain slices over Arrow's
// buffers (no copy) and checks the window shapes.
func (l *Loader) columns(rec arrow.RecordBatch) (chunk, error) {
	col := func(name string) (arrow.Array, error) {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("no column %q", name)
		}
		return rec.Column(idx[0]), nil
	}
	var c chunk
	tok, err := col("tokens")
	if err != nil {
		return c, err
	}
	lst, ok := tok.(*array.List)
	if !ok || lst.ListValues().DataType().ID() != arrow.INT32 {
		return c, fmt.Errorf("column tokens is %s, want list<int32>", tok.DataType())
	}
	doc, err := col("doc_id")
	if err != nil {
		return c, err
	}
	docs, ok := doc.(*array.Int64)
	if !ok {
		return c, fmt.Errorf("column doc_id is %s, want int64", doc.DataType())
	}
	val, err := col("valid")
	if err != nil {
		return c, err
	}
	valid, ok := val.(*array.Int32)
	if !ok {
		return c, fmt.Errorf("column valid is %s, want int32", val.DataType())
	}
	if lst.NullN() > 0 || docs.NullN() > 0 || valid.NullN() > 0 {
		return c, errors.New("null values in a window shard")
	}
	if l.packed {
		if c.segs, err = l.segments(rec, lst, valid.Int32Values()); err != nil {
			return c, err
		}
	}
	c.values = lst.ListValues().(*array.Int32).Int32Values()
	c.offsets = lst.Offsets()
	c.docs = docs.Int64Values()
	c.valid = valid.Int32Values()
	w := int32(l.ctxLen + 1)
	if n := len(c.valid); len(c.docs) != n || len(c.offsets) != n+1 || c.offsets[0] < 0 || int(c.offsets[n]) > len(c.values) {
		return c, fmt.Errorf("inconsistent columns: %d valid, %d doc ids, %d offsets over %d ids", n, len(c.docs), len(c.offsets), len(c.values))
	}
	for i, v := range c.valid {
		if n := c.offsets[i+1] - c.offsets[i]; n != w {
			return c, fmt.Errorf("row %d: window of %d ids, the manifest's context %d wants %d", i, n, l.ctxLen, w)
		}
		if v < 1 || v > w {
			return c, fmt.Errorf("row %d: valid %d out of [1, %d]", i, v, w)
		}
		if c.segs != nil {
			if s := c.segs[c.offsets[i] : c.offsets[i]+w]; s[0] != 1 || s[v-1] < 1 || (v < w && s[v] != 0) {
				return c, fmt.Errorf("row %d: segment ids %d…%d…%d do not fit valid %d", i, s[0], s[v-1], s[w-1], v)
			}
		}
	}
	return c, nil
}

// segments expands the segment starts of a packed record batch into the
// segment id of every slot, laid out like its tokens.
func (l *Loader) segments(rec arrow.RecordBatch, tokens *array.List, valid []int32) ([]int32, error) {
	idx := rec.Schema().FieldIndices("segment_starts")
	if len(idx) == 0 {
		return nil, fmt.Errorf("no column %q", "segment_starts")
	}
	col := rec.Column(idx[0])
	lst, ok := col.(*array.List)
	if !ok || lst.ListValues().DataType().ID() != arrow.INT32 || lst.Len() != tokens.Len() || lst.NullN() > 0 {
		return nil, fmt.Errorf("column segment_starts is %s, want list<int32> beside the tokens", col.DataType())
	}
	starts, so, to := lst.ListValues().(*array.Int32).Int32Values(), lst.Offsets(), tokens.Offsets()
	segs := make([]int32, 0, tokens.ListValues().Len())
	for i := range valid {
		var err error
		if segs, err = SegmentIDs(segs, starts[so[i]:so[i+1]], valid[i], int(to[i+1]-to[i])); err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
	}
	return segs, nil
}
