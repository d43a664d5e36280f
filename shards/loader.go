package shards

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

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
	// AllowIncomplete reads a shard set whose manifest says complete: false.
	AllowIncomplete bool
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
	Mask    []float32 // B*C: 1 where the target is learned: a real token (j+1 < valid) of the input's segment
	// Segments is the segment id of every input, B*C, on a packed split
	// (0 on padding); nil on an unpacked one (one document per row). A
	// query attends only to keys of its own segment.
	Segments []int32
	Tokens   int     // number of unmasked targets
	DocIDs   []int64 // B; -1 on padding rows
	Epoch    int
	Rows     int // real windows (the rest, up to B, is padding)
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
	packed  bool        // the split's windows carry segment ids
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
	m, err := ReadManifestWith(dir, ReadOptions{AllowIncomplete: opt.AllowIncomplete})
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
	l := &Loader{dir: dir, m: m, opt: opt, ctxLen: m.Config.Context, packed: m.Packed(opt.Split), pad: int32(m.Layout.PAD), mem: arrowBuffers}
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
