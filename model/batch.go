package model

import "context"

// Batch is what the trainer consumes: B windows of C inputs and targets,
// row-major, and a mask that is 1 where the target is a real token.
type Batch struct {
	B, C    int
	Inputs  []int32
	Targets []int32
	Mask    []float32
	// Segments is the segment id of every input, B*C, for windows packed
	// with several documents: a token attends only to its own segment.
	// nil: one document per window.
	Segments []int32
	Tokens   int // unmasked targets
	// TargetBytes is the bytes of canonical JSON the unmasked targets stand
	// for (0 where the source does not know): the denominator of bits per byte.
	TargetBytes float64
}

// Batches is a stream of batches; Next returns io.EOF after the last one
// (a training source never ends: it starts a new epoch).
type Batches interface {
	Next(ctx context.Context) (*Batch, error)
}

// Padded returns b grown to rows windows with masked rows, so that the last,
// short batch of a pass keeps the shape the graph was compiled for.
func (b *Batch) Padded(rows int) *Batch {
	if b.B >= rows {
		return b
	}
	extra := (rows - b.B) * b.C
	p := *b
	p.Inputs = append(append([]int32{}, b.Inputs...), make([]int32, extra)...)
	p.Targets = append(append([]int32{}, b.Targets...), make([]int32, extra)...)
	p.Mask = append(append([]float32{}, b.Mask...), make([]float32, extra)...)
	if b.Segments != nil {
		p.Segments = append(append([]int32{}, b.Segments...), make([]int32, extra)...)
	}
	p.B = rows
	return &p
}
