package shards

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tct-dev/tct/tokenizer"
)

// LoaderOptions configure a Loader.
type LoaderOptions struct {
	Split     string // "train" or "val"
	BatchSize int
	Seed      uint64
	// Shuffle: shard, row-group and window order permuted per epoch, endless
	// epochs. false: one pass in file and row order (validation), then io.EOF.
	Shuffle bool
	// Rank, World: data-parallel slicing. The k-th window of an epoch's stream
	// goes to rank k % World, so the ranks' shares are disjoint, together the
	// whole split, and equal to ±1 window. World 0 or 1: this reader takes all.
	Rank, World int
	// Prefetch is the number of batches prepared ahead in the background
	// (default 4).
	Prefetch int
	// ShuffleBuffer is the number of windows in the shuffle buffer (default
	// 8192). Memory is ShuffleBuffer × (context+1) × 4 bytes at most.
	ShuffleBuffer int
	// Tokenizer is the expected tokenizer fingerprint ("" = don't check).
	Tokenizer string
	// Layout is the expected layout (nil = don't check).
	Layout *tokenizer.Layout
	// Verify checks every shard's size and sha256 against the manifest
	// before reading (reads every byte once more). Without it a truncated
	// shard (its size), a damaged footer or page header and most damaged
	// data (zstd checksums, window shapes) are still errors naming the
	// file; only the sha256 catches every change.
	Verify bool
}

// Batch is a batch of windows as the model takes them. It always holds
// BatchSize rows: the last batch of an epoch is padded with rows that are
// PAD throughout, masked out (Mask 0) and have DocID -1, so a compiled
// model sees one shape and the ranks of a data-parallel job take the same
// number of steps. Rows counts the real windows.
type Batch struct {
	B, C    int       // batch size, context (window length minus 1)
	Inputs  []int32   // B*C, row-major: window[:C]
	Targets []int32   // B*C: window[1:]
	Mask    []float32 // B*C: 1 where the target is a real token (j+1 < valid), 0 on padding
	Tokens  int       // number of unmasked targets
	DocIDs  []int64   // B; -1 on padding rows
	Epoch   int
	Rows    int // real windows (the rest, up to B, is padding)
}

// LoaderState is where a loader stands: the batches returned so far in
// the current epoch. Restoring it resumes the exact stream.
type LoaderState struct {
	Epoch   int    `json:"epoch"`
	Batches int64  `json:"batches"` // batches returned in Epoch
	Seed    uint64 `json:"seed"`
	Rank    int    `json:"rank"`
	World   int    `json:"world"`
	// Stream identifies everything else that shapes the stream (split,
	// shards, batch size, shuffle buffer); Restore refuses a state made for
	// another stream. "" skips that check.
	Stream string `json:"stream,omitempty"`
}

// LoaderStats count the work done since the loader was opened, replays
// after Restore included.
type LoaderStats struct {
	RowGroups int64 // row groups decoded
	Windows   int64 // windows decoded
	Bytes     int64 // compressed bytes of the row groups decoded
}

// Loader streams the windows of one split of a shard directory as batches.
// One goroutine decodes row groups as Arrow record batches while another
// runs the shuffle buffer and assembles batches into a bounded channel.
// Memory is bounded whatever the dataset's size: at most three row groups
// (one being decoded, one handed over, one being consumed) and the Arrow
// buffers kept for reuse, the shuffle buffer, and Prefetch batches.
//
// The order is a pure function of (seed, epoch): the same options give the
// same batches on any machine, and State/Restore resume it exactly. A
// Loader is meant for one goroutine; cancel the context to interrupt Next.
type Loader struct {
	dir     string
	m       *Manifest
	opt     LoaderOptions
	files   []ShardInfo // the split's window shards, in manifest (file) order
	windows int64       // windows in the split
	ctxLen  int         // C
	pad     int32
	perEp   int64 // batches per epoch, the same for every rank
	stream  string

	state  LoaderState // after the last batch returned by Next
	run    *loaderRun  // the background reader; nil until the first Next
	err    error       // sticky: io.EOF at the end of a pass, or a read error
	closed bool
	stats  struct{ rowGroups, windows, bytes atomic.Int64 }
	mem    *bufferPool // Arrow's buffers, recycled from one row group to the next
}

var errClosed = errors.New("shards: loader is closed")

// OpenLoader checks the manifest of dir against the options and prepares a
// loader; reading starts with the first Next.
func OpenLoader(dir string, opt LoaderOptions) (*Loader, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if opt.Tokenizer != "" && opt.Tokenizer != m.Tokenizer {
		return nil, fmt.Errorf("%s: the shards were made with tokenizer %s, but %s is expected: rebuild them with tct pipeline or use the matching tokenizer", dir, m.Tokenizer, opt.Tokenizer)
	}
	if opt.Layout != nil && *opt.Layout != m.Layout {
		return nil, fmt.Errorf("%s: the shards' token layout %+v differs from the expected %+v (tokenizer %s)", dir, m.Layout, *opt.Layout, m.Tokenizer)
	}
	if opt.BatchSize <= 0 {
		return nil, fmt.Errorf("batch size %d: want > 0", opt.BatchSize)
	}
	if opt.World <= 0 {
		opt.World = 1
	}
	if opt.Rank < 0 || opt.Rank >= opt.World {
		return nil, fmt.Errorf("rank %d out of range for world %d", opt.Rank, opt.World)
	}
	if opt.Prefetch <= 0 {
		opt.Prefetch = 4
	}
	if opt.ShuffleBuffer <= 0 {
		opt.ShuffleBuffer = 8192
	}
	if m.Config.Context <= 0 {
		return nil, fmt.Errorf("%s: manifest has context %d", dir, m.Config.Context)
	}
	if opt.Verify {
		if err := m.Verify(dir); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
	}
	l := &Loader{dir: dir, m: m, opt: opt, ctxLen: m.Config.Context, pad: int32(m.Layout.PAD), mem: arrowBuffers}
	h := sha256.New()
	fmt.Fprintf(h, "%s|%t|%d|%d|%d|%d|%d|%d\n", opt.Split, opt.Shuffle, opt.BatchSize, opt.ShuffleBuffer, opt.Seed, opt.Rank, opt.World, m.Config.Context)
	for _, s := range m.Shards {
		if s.Kind == "windows" && s.Split == opt.Split {
			l.files = append(l.files, s)
			l.windows += s.Rows
			fmt.Fprintf(h, "%s %s\n", s.Name, s.SHA256)
		}
	}
	l.stream = hex.EncodeToString(h.Sum(nil))[:16]
	if l.windows == 0 && (opt.Shuffle || m.Splits[opt.Split] == nil) {
		// An endless stream of nothing would hang the trainer, and a split
		// the manifest does not know is a typo. An empty validation split
		// is just an empty pass.
		return nil, fmt.Errorf("%s: no %s windows", dir, opt.Split)
	}
	// Every rank takes the same number of batches per epoch, the largest
	// share's: a rank with one window less pads, so no rank waits forever
	// for another in a collective.
	share := (l.windows + int64(opt.World) - 1) / int64(opt.World)
	l.perEp = (share + int64(opt.BatchSize) - 1) / int64(opt.BatchSize)
	l.state = LoaderState{Seed: opt.Seed, Rank: opt.Rank, World: opt.World, Stream: l.stream}
	return l, nil
}

// Manifest is the manifest of the loader's directory.
func (l *Loader) Manifest() *Manifest { return l.m }

// EpochBatches is the number of batches per epoch (per pass, without
// Shuffle), the same for every rank.
func (l *Loader) EpochBatches() int64 { return l.perEp }

// Windows is the number of windows in the split (all ranks).
func (l *Loader) Windows() int64 { return l.windows }

// Stats reports the work done so far.
func (l *Loader) Stats() LoaderStats {
	return LoaderStats{RowGroups: l.stats.rowGroups.Load(), Windows: l.stats.windows.Load(), Bytes: l.stats.bytes.Load()}
}

// State is the state after the last batch returned by Next.
func (l *Loader) State() LoaderState { return l.state }

// Next returns the next batch. With Shuffle it never ends (epoch after
// epoch); without, it returns io.EOF after one pass. Batches always have
// BatchSize rows; see Batch for the padding of an epoch's last batch.
func (l *Loader) Next(ctx context.Context) (*Batch, error) {
	if l.closed {
		return nil, errClosed
	}
	if l.err != nil {
		return nil, l.err
	}
	if l.run == nil {
		l.start()
		if l.err != nil {
			return nil, l.err
		}
	}
	select {
	case it := <-l.run.out:
		if it.err != nil {
			l.err = it.err
			l.stop()
			return nil, it.err
		}
		l.state.Epoch, l.state.Batches = it.b.Epoch, it.idx+1
		return it.b, nil
	case <-ctx.Done():
		// The batch, when it comes, stays in the channel for the next call:
		// an interrupted Next loses nothing and the state stays exact.
		return nil, ctx.Err()
	}
}

// Restore makes the next batches those that followed s in the run that
// made it, on a new loader with the same options or on this one (what it
// had prefetched is dropped). It replays s's epoch from its start
// (re-reading and re-shuffling, without assembling the skipped batches),
// which costs at most one epoch of reading.
func (l *Loader) Restore(s LoaderState) error {
	if l.closed {
		return errClosed
	}
	if s.World <= 0 {
		s.World = 1
	}
	switch {
	case s.Seed != l.opt.Seed:
		return fmt.Errorf("restore: the state is for seed %d, the loader has seed %d", s.Seed, l.opt.Seed)
	case s.Rank != l.opt.Rank || s.World != l.opt.World:
		return fmt.Errorf("restore: the state is for rank %d of %d, the loader is rank %d of %d", s.Rank, s.World, l.opt.Rank, l.opt.World)
	case s.Stream != "" && s.Stream != l.stream:
		return fmt.Errorf("restore: the state is for another stream (%s, this loader's is %s): the split, the shards in %s, the batch size or the shuffle buffer changed", s.Stream, l.stream, l.dir)
	case s.Epoch < 0 || s.Batches < 0:
		return fmt.Errorf("restore: bad state %+v", s)
	}
	l.stop()
	l.err = nil
	if l.perEp > 0 && s.Batches >= l.perEp {
		// Finished epochs need no replay.
		s.Epoch += int(s.Batches / l.perEp)
		s.Batches %= l.perEp
	}
	s.Stream = l.stream
	l.state = s
	return nil
}

// Close stops the background reader and waits for it. It is safe to call
// more than once.
func (l *Loader) Close() error {
	l.stop()
	l.closed = true
	return nil
}

// item is what the background reader hands to Next: a batch and its index
// in its epoch, or an error (io.EOF at the end of a pass).
type item struct {
	b   *Batch
	idx int64
	err error
}

// chunk is a decoded record batch of a row group, or the end of an epoch.
type chunk struct {
	rec     arrow.RecordBatch
	values  []int32 // the flat token ids of the rows, straight from Arrow's buffer
	offsets []int32 // rows+1 offsets into values
	docs    []int64
	valid   []int32
	end     bool // end of the epoch
	err     error
}

type loaderRun struct {
	cancel context.CancelFunc
	out    chan item
	chunks chan chunk
	wg     sync.WaitGroup
}

// start launches the reader at the state: from the start of state.Epoch,
// discarding its first state.Batches batches.
func (l *Loader) start() {
	if !l.opt.Shuffle && l.state.Epoch > 0 {
		l.err = io.EOF
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &loaderRun{cancel: cancel, out: make(chan item, l.opt.Prefetch), chunks: make(chan chunk, 1)}
	epoch, skip := l.state.Epoch, l.state.Batches
	r.wg.Go(func() {
		defer close(r.chunks)
		l.decode(ctx, epoch, r.chunks)
	})
	r.wg.Go(func() {
		a := &assembler{l: l, out: r.out, epoch: epoch, skip: skip}
		a.run(ctx, r.chunks)
	})
	l.run = r
}

// stop cancels the background reader, waits for both goroutines and drops
// what they had prepared.
func (l *Loader) stop() {
	if l.run == nil {
		return
	}
	l.run.cancel()
	l.run.wg.Wait()
	for c := range l.run.chunks { // closed by the decoder
		if c.rec != nil {
			c.rec.Release()
		}
	}
	l.run = nil
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
	for _, name := range []string{"tokens", "doc_id", "valid"} {
		i := leafIndex(pf, name)
		if i < 0 {
			return fmt.Errorf("shard %s: no column %q: not a window shard", path, name)
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
	}
	return c, nil
}

// assembler turns the decoded windows into batches: the shuffle buffer,
// the rank's share, and the tensors. It runs in its own goroutine, so
// decoding the next row group overlaps with it.
type assembler struct {
	l     *Loader
	out   chan<- item
	epoch int
	skip  int64 // batches of the first epoch to discard (Restore)

	k   int64  // windows emitted in this epoch, all ranks
	q   int64  // windows of this rank in this epoch
	cur *Batch // the batch being filled

	// The shuffle buffer: n windows of C+1 ids in buf, with their doc ids
	// and valid lengths. Windows are copied in, so a row group is released
	// as soon as it is consumed and memory stays at ShuffleBuffer windows.
	buf   []int32
	docs  []int64
	valid []int32
	pos   []int32
	rng   *rng
}

func (a *assembler) run(ctx context.Context, chunks <-chan chunk) {
	send := func(it item) bool {
		select {
		case a.out <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	a.startEpoch()
	for {
		var c chunk
		var ok bool
		select {
		case c, ok = <-chunks:
		case <-ctx.Done():
			return
		}
		if !ok {
			return // cancelled
		}
		switch {
		case c.err != nil:
			send(item{err: c.err})
			return
		case c.end:
			if !a.endEpoch(send) {
				return
			}
			if !a.l.opt.Shuffle {
				send(item{err: io.EOF})
				return
			}
			a.epoch++
			a.skip = 0
			a.startEpoch()
		default:
			okSend := a.consume(c, send)
			c.rec.Release()
			if !okSend {
				return
			}
		}
	}
}

func (a *assembler) startEpoch() {
	a.k, a.q, a.cur = 0, 0, nil
	a.buf, a.docs, a.valid = a.buf[:0], a.docs[:0], a.valid[:0]
	if a.l.opt.Shuffle {
		a.rng = newRNG(a.l.opt.Seed, a.epoch, streamWindows, 0)
		if a.buf == nil {
			// Allocated once at its final size: growing it by appends
			// costs more than the windows' copies into it.
			n := int(min(int64(a.l.opt.ShuffleBuffer), a.l.windows))
			a.buf = make([]int32, 0, n*(a.l.ctxLen+1))
			a.docs, a.valid = make([]int64, 0, n), make([]int32, 0, n)
		}
	}
}

// consume feeds the rows of a chunk through the shuffle buffer (or, without
// Shuffle, straight) into batches.
func (a *assembler) consume(c chunk, send func(item) bool) bool {
	w := a.l.ctxLen + 1
	if !a.l.opt.Shuffle {
		for i := range c.docs {
			o := int(c.offsets[i])
			if !a.emit(c.values[o:o+w], c.docs[i], c.valid[i], send) {
				return false
			}
		}
		return true
	}
	size := a.l.opt.ShuffleBuffer
	for i := range c.docs {
		o := int(c.offsets[i])
		win := c.values[o : o+w]
		if n := len(a.docs); n < size {
			// Filling: the buffer grows to the shuffle size, no further, so
			// a small split never allocates the whole buffer.
			a.buf = append(a.buf, win...)
			a.docs = append(a.docs, c.docs[i])
			a.valid = append(a.valid, c.valid[i])
			continue
		}
		// Full: emit a random window and put the new one in its place.
		j := a.rng.intn(size)
		slot := a.buf[j*w : (j+1)*w]
		if !a.emit(slot, a.docs[j], a.valid[j], send) {
			return false
		}
		copy(slot, win)
		a.docs[j], a.valid[j] = c.docs[i], c.valid[i]
	}
	return true
}

// endEpoch drains the shuffle buffer in random order, then sends the
// padded last batch and the all-padding batches that bring this rank to
// the epoch's batch count.
func (a *assembler) endEpoch(send func(item) bool) bool {
	w := a.l.ctxLen + 1
	if n := len(a.docs); n > 0 {
		a.pos = a.pos[:0]
		for i := range n {
			a.pos = append(a.pos, int32(i))
		}
		for ; n > 0; n-- {
			j := a.rng.intn(n)
			s := int(a.pos[j])
			if !a.emit(a.buf[s*w:(s+1)*w], a.docs[s], a.valid[s], send) {
				return false
			}
			a.pos[j] = a.pos[n-1]
		}
	}
	bs := int64(a.l.opt.BatchSize)
	next := (a.q + bs - 1) / bs // the first batch index not yet started
	if a.cur != nil {
		a.cur.padFrom(a.cur.Rows, a.l.pad)
		if !send(item{b: a.cur, idx: a.q / bs}) {
			return false
		}
		a.cur = nil
	}
	for i := max(next, a.skip); i < a.l.perEp; i++ {
		b := a.newBatch()
		b.padFrom(0, a.l.pad)
		if !send(item{b: b, idx: i}) {
			return false
		}
	}
	return true
}

// emit passes the k-th window of the epoch's stream on if it is this
// rank's and its batch is not being skipped.
func (a *assembler) emit(win []int32, doc int64, valid int32, send func(item) bool) bool {
	k := a.k
	a.k++
	world := int64(a.l.opt.World)
	if k%world != int64(a.l.opt.Rank) {
		return true
	}
	q := a.q
	a.q++
	bs := int64(a.l.opt.BatchSize)
	idx := q / bs
	if idx < a.skip {
		return true // replaying: this batch was returned before the restore
	}
	if a.cur == nil {
		a.cur = a.newBatch()
	}
	a.cur.set(int(q%bs), win, doc, valid)
	if q%bs == bs-1 {
		b := a.cur
		a.cur = nil
		return send(item{b: b, idx: idx})
	}
	return true
}

func (a *assembler) newBatch() *Batch {
	b, c := a.l.opt.BatchSize, a.l.ctxLen
	return &Batch{B: b, C: c, Inputs: make([]int32, b*c), Targets: make([]int32, b*c), Mask: make([]float32, b*c),
		DocIDs: make([]int64, b), Epoch: a.epoch}
}

// set writes window win into row r. The mask of a fresh batch is zero, so
// only the real targets are written.
func (b *Batch) set(r int, win []int32, doc int64, valid int32) {
	c := b.C
	copy(b.Inputs[r*c:(r+1)*c], win[:c])
	copy(b.Targets[r*c:(r+1)*c], win[1:])
	n := int(valid) - 1
	m := b.Mask[r*c : r*c+n]
	for j := range m {
		m[j] = 1
	}
	b.Tokens += n
	b.DocIDs[r] = doc
	b.Rows++
}

// padFrom fills rows [from, B) with padding.
func (b *Batch) padFrom(from int, pad int32) {
	for i := from * b.C; i < len(b.Inputs); i++ {
		b.Inputs[i], b.Targets[i] = pad, pad
	}
	for i := from; i < b.B; i++ {
		b.DocIDs[i] = -1
	}
}

// bufferPool is an Arrow allocator that keeps the buffers of released
// records for the next row group, which needs the same sizes: decoding
// into fresh memory from the Go heap (zeroed, page-faulted, then
// collected) costs a third of the reading time, reused buffers are warm.
// Buffers are pooled by power-of-two size class in sync.Pools shared by
// every loader, so a loader opened later starts warm and the GC reclaims
// what an idle process no longer needs. Buffers come back zeroed, as from
// calloc or make.
type bufferPool struct {
	classes [48]sync.Pool // of *[]byte with capacity 1<<class
}

// arrowBuffers is the pool of every loader.
var arrowBuffers = &bufferPool{}

const (
	poolMinClass = 12 // buffers under 4 KiB are left to the Go heap
	poolAlign    = 64 // Arrow's buffer alignment
)

func (p *bufferPool) Allocate(size int) []byte {
	k := bits.Len(uint(size - 1))
	if size <= 0 || k < poolMinClass || k >= len(p.classes) {
		return alignedBytes(size, size)
	}
	v, _ := p.classes[k].Get().(*[]byte)
	if v == nil {
		return alignedBytes(size, 1<<k)
	}
	b := (*v)[:cap(*v)]
	clear(b)
	return b[:size]
}

func (p *bufferPool) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free keeps b if it is one of the pool's (its capacity is its class).
func (p *bufferPool) Free(b []byte) {
	c := cap(b)
	k := bits.Len(uint(c - 1))
	if c <= 0 || c != 1<<k || k < poolMinClass || k >= len(p.classes) {
		return
	}
	b = b[:0]
	p.classes[k].Put(&b)
}

// alignedBytes is a zeroed slice of length size and capacity c whose start
// is 64-byte aligned.
func alignedBytes(size, c int) []byte {
	buf := make([]byte, c+poolAlign)
	shift := int(-uintptr(unsafe.Pointer(unsafe.SliceData(buf))) & (poolAlign - 1))
	return buf[shift : shift+size : shift+c]
}

// The PRNG streams drawn from (seed, epoch).
const (
	streamShards = 1 + iota
	streamRowGroups
	streamWindows
)

// rng is SplitMix64 with our own bounded draws and shuffle, rather than
// math/rand: the stream is then fixed by this file alone, so a checkpoint
// resumes the same order after any Go upgrade.
type rng struct{ s uint64 }

func newRNG(seed uint64, epoch int, stream, sub uint64) *rng {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(epoch))
	binary.LittleEndian.PutUint64(b[16:], stream)
	binary.LittleEndian.PutUint64(b[24:], sub)
	h := sha256.Sum256(b[:]) // independent streams for neighbouring seeds and epochs
	return &rng{s: binary.LittleEndian.Uint64(h[:8])}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn is uniform in [0, n) (Lemire's multiply-shift, with rejection).
func (r *rng) intn(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.next(), un)
	if lo < un {
		for t := -un % un; lo < t; {
			hi, lo = bits.Mul64(r.next(), un)
		}
	}
	return int(hi)
}

// shuffle permutes s (Fisher–Yates).
func (r *rng) shuffle(s []int) {
	for i := len(s) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}
