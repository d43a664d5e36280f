package shards

import (
	"fmt"

	"github.com/tct-dev/tct/tokenizer"
)

// PackedRow is one row of a packed window shard: a WindowRow whose window
// holds several documents back to back, with the segment id of every slot.
type PackedRow struct {
	Tokens []int32 `parquet:"tokens,list"`
	DocID  int64   `parquet:"doc_id"` // the first segment's document
	Start  int32   `parquet:"start"`  // where the first segment starts in its document
	Valid  int32   `parquet:"valid"`  // ids before the padding
	// Starts is the slot of every segment's position token (the first is
	// 0): a few numbers per window where per-slot segment ids would double
	// what a reader decodes (SegmentIDs expands them).
	Starts []int32 `parquet:"segment_starts,list"`
	// SegmentDocs is the document of every segment. Only the first segment
	// can go on from an earlier window (at Start); the others start at 0.
	SegmentDocs []int64 `parquet:"segment_docs,list"`
}

// Packer fills windows of Context+1 slots with documents back to back. A
// document (or the rest of one) is a segment [position token, tokens...];
// what does not fit goes on in the next window behind the position token
// of where it goes on. Every content token is a target exactly once.
type Packer struct {
	Layout  tokenizer.Layout
	Context int
	cur     *PackedRow // the window being filled; nil: none
	used    int
}

// Add packs the tokens of document doc, passing every window it fills to
// emit, and returns the number of windows the document has a segment in.
func (p *Packer) Add(doc int64, tokens []int32, emit func(PackedRow) error) (windows int, err error) {
	w := p.Context + 1
	for start := 0; start < len(tokens); {
		if p.cur != nil && w-p.used < 2 { // no room for a position token and a token
			if err := p.Flush(emit); err != nil {
				return windows, err
			}
		}
		if p.cur == nil {
			p.cur = &PackedRow{Tokens: make([]int32, w), DocID: doc, Start: int32(start)}
			p.used = 0
		}
		p.cur.Starts = append(p.cur.Starts, int32(p.used))
		p.cur.SegmentDocs = append(p.cur.SegmentDocs, doc)
		n := min(len(tokens)-start, w-p.used-1)
		p.cur.Tokens[p.used] = p.Layout.Position(start)
		copy(p.cur.Tokens[p.used+1:], tokens[start:start+n])
		p.used += 1 + n
		start += n
		windows++
		if p.used == w {
			if err := p.Flush(emit); err != nil {
				return windows, err
			}
		}
	}
	return windows, nil
}

// Flush pads the window being filled, if any, and passes it to emit.
func (p *Packer) Flush(emit func(PackedRow) error) error {
	if p.cur == nil {
		return nil
	}
	r := *p.cur
	p.cur = nil
	for i := p.used; i < len(r.Tokens); i++ {
		r.Tokens[i] = int32(p.Layout.PAD)
	}
	r.Valid = int32(p.used)
	return emit(r)
}

// EachSegment calls f with the document, start and ids of every segment of
// the window, its position token first.
func (r *PackedRow) EachSegment(f func(doc int64, start int32, ids []int32)) error {
	segs, err := SegmentIDs(nil, r.Starts, r.Valid, len(r.Tokens))
	if err != nil {
		return fmt.Errorf("window of document %d: %w", r.DocID, err)
	}
	from := 0
	for j := 1; j <= int(r.Valid); j++ {
		if j < int(r.Valid) && segs[j] == segs[from] {
			continue
		}
		k := int(segs[from]) - 1
		if k < 0 || k >= len(r.SegmentDocs) {
			return fmt.Errorf("window of document %d: segment %d of %d", r.DocID, k+1, len(r.SegmentDocs))
		}
		start := int32(0)
		if k == 0 {
			start = r.Start
		}
		f(r.SegmentDocs[k], start, r.Tokens[from:j])
		from = j
	}
	return nil
}

// TargetMask says which targets of a window with segment ids segs (its
// Context+1 slots) are learned: target j (the id at slot j+1) when it is
// real and in the same segment as its input, so neither the padding nor
// the next segment's position token is.
func TargetMask(segs []int32, mask []float32) int {
	n := 0
	for j := range len(segs) - 1 {
		if segs[j+1] != 0 && segs[j+1] == segs[j] {
			mask[j] = 1
			n++
		} else {
			mask[j] = 0
		}
	}
	return n
}

// SegmentIDs appends to dst the segment id of every slot of a window of w
// slots: 1, 2, ... from each start on, 0 on the padding from valid on.
func SegmentIDs(dst []int32, starts []int32, valid int32, w int) ([]int32, error) {
	if len(starts) == 0 || starts[0] != 0 || valid < 1 || int(valid) > w {
		return dst, fmt.Errorf("segment starts %v do not fit valid %d of %d slots", starts, valid, w)
	}
	seg, next := int32(0), 0
	for j := range int32(w) {
		for next < len(starts) && starts[next] == j {
			seg, next = seg+1, next+1
		}
		if j >= valid {
			seg = 0
		}
		dst = append(dst, seg)
	}
	if next != len(starts) || int(starts[len(starts)-1]) >= int(valid) {
		return dst, fmt.Errorf("segment starts %v do not fit valid %d of %d slots", starts, valid, w)
	}
	return dst, nil
}

// Segments is the segment id of every slot of the window (nil when its
// starts do not fit it).
func (r *PackedRow) Segments() []int32 {
	s, err := SegmentIDs(nil, r.Starts, r.Valid, len(r.Tokens))
	if err != nil {
		return nil
	}
	return s
}
