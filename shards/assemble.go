package shards

import (
	"context"
	"io"
)

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
	segs  []int32 // the segment ids of the windows in buf (packed splits)
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
	a.buf, a.segs, a.docs, a.valid = a.buf[:0], a.segs[:0], a.docs[:0], a.valid[:0]
	if a.l.opt.Shuffle {
		a.rng = newRNG(a.l.opt.Seed, a.epoch, streamWindows, 0)
		if a.buf == nil {
			// Allocated once at its final size: growing it by appends
			// costs more than the windows' copies into it.
			n := int(min(int64(a.l.opt.ShuffleBuffer), a.l.windows))
			a.buf = make([]int32, 0, n*(a.l.ctxLen+1))
			if a.l.packed {
				a.segs = make([]int32, 0, n*(a.l.ctxLen+1))
			}
			a.docs, a.valid = make([]int64, 0, n), make([]int32, 0, n)
		}
	}
}

// consume feeds the rows of a chunk through the shuffle buffer (or, without
// Shuffle, straight) into batches.
func (a *assembler) consume(c chunk, send func(item) bool) bool {
	w := a.l.ctxLen + 1
	segsOf := func(i int) []int32 { // row i's segment ids, nil unpacked
		if c.segs == nil {
			return nil
		}
		return c.segs[c.offsets[i] : int(c.offsets[i])+w]
	}
	if !a.l.opt.Shuffle {
		for i := range c.docs {
			o := int(c.offsets[i])
			if !a.emit(c.values[o:o+w], segsOf(i), c.docs[i], c.valid[i], send) {
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
			a.segs = append(a.segs, segsOf(i)...)
			a.docs = append(a.docs, c.docs[i])
			a.valid = append(a.valid, c.valid[i])
			continue
		}
		// Full: emit a random window and put the new one in its place.
		j := a.rng.intn(size)
		slot, segs := a.buf[j*w:(j+1)*w], a.slotSegs(j)
		if !a.emit(slot, segs, a.docs[j], a.valid[j], send) {
			return false
		}
		copy(slot, win)
		copy(segs, segsOf(i))
		a.docs[j], a.valid[j] = c.docs[i], c.valid[i]
	}
	return true
}

// slotSegs is the segment ids of window j of the shuffle buffer (nil unpacked).
func (a *assembler) slotSegs(j int) []int32 {
	if !a.l.packed {
		return nil
	}
	w := a.l.ctxLen + 1
	return a.segs[j*w : (j+1)*w]
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
			if !a.emit(a.buf[s*w:(s+1)*w], a.slotSegs(s), a.docs[s], a.valid[s], send) {
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
func (a *assembler) emit(win, segs []int32, doc int64, valid int32, send func(item) bool) bool {
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
	a.cur.set(int(q%bs), win, segs, doc, valid)
	if q%bs == bs-1 {
		b := a.cur
		a.cur = nil
		return send(item{b: b, idx: idx})
	}
	return true
}

func (a *assembler) newBatch() *Batch {
	b, c := a.l.opt.BatchSize, a.l.ctxLen
	bt := &Batch{B: b, C: c, Inputs: make([]int32, b*c), Targets: make([]int32, b*c), Mask: make([]float32, b*c),
		DocIDs: make([]int64, b), Epoch: a.epoch}
	if a.l.packed {
		bt.Segments = make([]int32, b*c)
	}
	return bt
}

// set writes window win (with its segment ids segs on a packed split)
// into row r. The mask of a fresh batch is zero, so only the real targets
// are written.
func (b *Batch) set(r int, win, segs []int32, doc int64, valid int32) {
	c := b.C
	copy(b.Inputs[r*c:(r+1)*c], win[:c])
	copy(b.Targets[r*c:(r+1)*c], win[1:])
	b.DocIDs[r] = doc
	b.Rows++
	if segs != nil {
		copy(b.Segments[r*c:(r+1)*c], segs[:c])
		b.Tokens += TargetMask(segs, b.Mask[r*c:(r+1)*c])
		return
	}
	n := int(valid) - 1
	m := b.Mask[r*c : r*c+n]
	for j := range m {
		m[j] = 1
	}
	b.Tokens += n
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
