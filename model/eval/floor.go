package eval

import (
	"fmt"

	"github.com/tct-dev/tct/model/ngram"
)

// Floor is the n-gram baseline on the same held-out documents: a GPT that
// does not beat it has learned nothing an n-gram could not.
type Floor struct {
	Order int     `json:"order"`
	BPB   float64 `json:"val_bpb"`
	Bits  float64 `json:"bits"`
	Bytes float64 `json:"bytes"`
}

// NgramFloor counts an interpolated Kneser-Ney model of the given order on
// the training documents and scores every id of the held-out ones (each
// predicted from its document's ids before it) in bits per byte.
func NgramFloor(train [][]int32, val []Doc, order, vocab int) (*Floor, error) {
	m, err := ngram.Train(train, order, vocab)
	if err != nil {
		return nil, err
	}
	f := &Floor{Order: order}
	for _, d := range val {
		for i, b := range m.Bits(d.IDs) {
			f.Bits += b
			f.Bytes += float64(d.Bytes[i])
		}
	}
	if f.Bytes == 0 {
		return nil, fmt.Errorf("no held-out bytes")
	}
	f.BPB = f.Bits / f.Bytes
	return f, nil
}
