package ngram

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The model is a distribution: over every next id, probabilities add up to
// one, whatever the history (seen, partly seen or unseen).
func TestNormalised(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const vocab = 23
	var docs [][]int32
	for range 40 {
		d := make([]int32, 5+rng.IntN(60))
		for i := range d {
			if i > 0 && rng.IntN(3) > 0 {
				d[i] = (d[i-1]*7 + 3) % vocab // mostly predictable
			} else {
				d[i] = int32(rng.IntN(vocab))
			}
		}
		docs = append(docs, d)
	}
	for _, order := range []int{1, 2, 3, 5} {
		m, err := Train(docs, order, vocab)
		if err != nil {
			t.Fatal(err)
		}
		for _, hist := range [][]int32{{}, docs[0][:4], docs[3][:9], {22, 22, 22, 22}} {
			var sum float64
			for w := range int32(vocab) {
				b := m.Bits(append(append([]int32{}, hist...), w))
				sum += math.Exp2(-b[len(b)-1])
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Errorf("order %d, history %v: probabilities add up to %v", order, hist, sum)
			}
		}
	}
}

// Longer histories help on data with structure: a held-out document of the
// same process costs fewer bits under order 3 than order 1, and far less
// than the uniform log2(vocab).
func TestOrderHelps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const vocab = 50
	gen := func() []int32 {
		d := make([]int32, 200)
		for i := range d {
			switch {
			case i < 2:
				d[i] = int32(rng.IntN(vocab))
			case rng.IntN(10) == 0:
				d[i] = int32(rng.IntN(vocab))
			default:
				d[i] = (d[i-1] + d[i-2]) % vocab
			}
		}
		return d
	}
	var train [][]int32
	for range 200 {
		train = append(train, gen())
	}
	held := gen()
	cost := func(order int) float64 {
		m, err := Train(train, order, vocab)
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for _, b := range m.Bits(held) {
			s += b
		}
		return s / float64(len(held))
	}
	c1, c3 := cost(1), cost(3)
	if !(c3 < c1-1 && c1 < math.Log2(vocab)+0.1) {
		t.Errorf("bits per id: order 1 %.3f, order 3 %.3f, uniform %.3f", c1, c3, math.Log2(vocab))
	}
	if _, err := Train(train, 0, vocab); err == nil {
		t.Error("order 0 accepted")
	}
}
