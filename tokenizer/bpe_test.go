package tokenizer

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The heap merge gives exactly what the simple scan gives.
func TestApplyHeapMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := 8
	var pairs [][2]int32
	for i := 0; i < 60; i++ {
		id := base + len(pairs)
		pairs = append(pairs, [2]int32{int32(rng.IntN(id)), int32(rng.IntN(id))})
	}
	m, err := NewMerges(base, pairs)
	if err != nil {
		t.Fatal(err)
	}
	scan := func(seg []int32) []int32 { // the reference: lowest rank, all occurrences, left to right
		for {
			best, at := int32(-1), -1
			for i := 0; i+1 < len(seg); i++ {
				if r, ok := m.ranks().get(pairKey(seg[i], seg[i+1])); ok && (best < 0 || r < best) {
					best, at = r, i
				}
			}
			if at < 0 {
				return seg
			}
			a, b := seg[at], seg[at+1]
			var out []int32
			for i := 0; i < len(seg); i++ {
				if i+1 < len(seg) && seg[i] == a && seg[i+1] == b {
					out = append(out, int32(base)+best)
					i++
				} else {
					out = append(out, seg[i])
				}
			}
			seg = out
		}
	}
	for trial := 0; trial < 2000; trial++ {
		seg := make([]int32, 1+rng.IntN(80))
		for i := range seg {
			seg[i] = int32(rng.IntN(3)) // few symbols: many repeats and overlaps
		}
		want := scan(slices.Clone(seg))
		if got := m.applyHeap(slices.Clone(seg)); !slices.Equal(got, want) {
			t.Fatalf("applyHeap(%v) = %v, scan %v", seg, got, want)
		}
		if got := m.apply(slices.Clone(seg)); !slices.Equal(got, want) {
			t.Fatalf("apply(%v) = %v, scan %v", seg, got, want)
		}
		// Expanding the merged ids gives the segment back.
		var back []int32
		for _, id := range want {
			for _, b := range m.Expansion(id) {
				back = append(back, int32(b))
			}
		}
		if !slices.Equal(back, seg) {
			t.Fatalf("expansion %v != %v", back, seg)
		}
	}
}

// Training depends only on the counts: not on map order or how counts were split.
func TestTrainDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	words := make([][]Token, 300)
	for i := range words {
		w := make([]Token, 2+rng.IntN(10))
		for j := range w {
			w[j] = Token('a' + rng.IntN(6))
		}
		words[i] = w
	}
	count := func(order []int, parts int) Segments {
		all := Segments{}
		ps := make([]Segments, parts)
		for i := range ps {
			ps[i] = Segments{}
		}
		for k, i := range order {
			w := words[i]
			ps[k%parts].Add(w, []int32{int32(len(w))})
		}
		for _, p := range ps {
			all.Merge(p)
		}
		return all
	}
	order := rng.Perm(len(words))
	a, err := Train(256, count(order, 1), TrainOptions{Merges: 100})
	if err != nil {
		t.Fatal(err)
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	b, _ := Train(256, count(order, 3), TrainOptions{Merges: 100})
	if !slices.Equal(a, b) || len(a) == 0 {
		t.Fatalf("merges differ or empty: %d vs %d", len(a), len(b))
	}
	// The first merge is the most frequent pair.
	pc := map[[2]int32]int{}
	for _, w := range words {
		for i := 0; i+1 < len(w); i++ {
			pc[[2]int32{int32(w[i]), int32(w[i+1])}]++
		}
	}
	best := 0
	for _, c := range pc {
		best = max(best, c)
	}
	if pc[a[0]] != best {
		t.Errorf("first merge %v has count %d, the best pair %d", a[0], pc[a[0]], best)
	}
}

func TestLayout(t *testing.T) {
	l := NewLayout(8192, 512)
	if l.PAD != 8192 || l.PositionBase != 8193 || l.ModelVocab != 8832 || l.ModelVocab%128 != 0 {
		t.Fatalf("layout %+v", l)
	}
	if l.Position(0) != 8193 || l.Position(511) != 8704 || l.Position(5000) != 8704 || l.Position(-3) != 8193 {
		t.Errorf("positions: %d %d %d", l.Position(0), l.Position(511), l.Position(5000))
	}
	if int(l.Position(511)) >= l.ModelVocab {
		t.Errorf("position token %d outside the model vocabulary %d", l.Position(511), l.ModelVocab)
	}
}

// The shortest spelling has the fewest ids (a plain dynamic program over
// every expansion agrees), never more than applying the merges, and spells
// the same base tokens.
func TestShortestSpelling(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	base := 6
	var pairs [][2]int32
	for range 80 {
		id := base + len(pairs)
		pairs = append(pairs, [2]int32{int32(rng.IntN(id)), int32(rng.IntN(id))})
	}
	random, err := NewMerges(base, pairs)
	if err != nil {
		t.Fatal(err)
	}
	// And merges learned from text: many overlapping ways to spell a segment.
	segs := Segments{}
	for range 400 {
		w := make([]Token, 2+rng.IntN(12))
		for i := range w {
			w[i] = Token(rng.IntN(3))
		}
		segs.Add(w, []int32{int32(len(w))})
	}
	learned, err := Train(base, segs, TrainOptions{Merges: 60})
	if err != nil {
		t.Fatal(err)
	}
	trained, err := NewMerges(base, learned)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Merges{random, trained} {
		checkShortest(t, rng, m)
	}
}

func checkShortest(t *testing.T, rng *rand.Rand, m *Merges) {
	tr := newMatchTrie(m)
	shorter := 0
	for range 3000 {
		seg := make([]Token, 1+rng.IntN(60))
		for i := range seg {
			seg[i] = Token(rng.IntN(3))
		}
		n := len(seg) + 1
		ids := shortestSpelling([]*matchTrie{tr}, nil, seg, make([]uint8, len(seg)), make([]int32, n), make([]int32, n), make([]int32, n))
		var back []Token
		for _, id := range ids {
			back = append(back, m.Expansion(id)...)
		}
		if !slices.Equal(back, seg) {
			t.Fatalf("shortest spelling of %v expands to %v", seg, back)
		}
		s32 := make([]int32, len(seg))
		for i, b := range seg {
			s32[i] = int32(b)
		}
		// The fewest ids, by a plain dynamic program over every expansion.
		fewest := make([]int, n)
		for j := 1; j < n; j++ {
			fewest[j] = 1 << 30
			for id := range m.Size() {
				if e := m.Expansion(int32(id)); len(e) <= j && slices.Equal(e, seg[j-len(e):j]) {
					fewest[j] = min(fewest[j], fewest[j-len(e)]+1)
				}
			}
		}
		if len(ids) != fewest[n-1] {
			t.Fatalf("%d ids for %v; the fewest is %d", len(ids), seg, fewest[n-1])
		}
		bpe := m.apply(s32)
		if len(ids) > len(bpe) {
			t.Fatalf("shortest %d ids > merges %d for %v", len(ids), len(bpe), seg)
		}
		if len(ids) < len(bpe) {
			shorter++
		}
	}
	t.Logf("shorter than the merge order in %d of 3000 segments", shorter)
}

// Merge tables that refer to each other resolve their expansions across
// tables; bad references are errors, not panics or loops.
func TestNewTables(t *testing.T) {
	const base = 4
	ok, err := newTables(base, []TableSpec{{Pairs: [][2]int32{{0, 4}}, Right: []uint8{1}}, {Pairs: [][2]int32{{1, 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Table 1: id 4 = 1 2. Table 0: id 4 = 0 + table 1's id 4 = 0 1 2.
	if got := ok[0].Expansion(4); !slices.Equal(got, []Token{0, 1, 2}) {
		t.Errorf("cross-table expansion %v, want [0 1 2]", got)
	}
	for _, c := range []struct {
		name   string
		tables []TableSpec
	}{
		{"itself", []TableSpec{{Pairs: [][2]int32{{4, 0}}}}},
		{"cycle across tables", []TableSpec{{Pairs: [][2]int32{{0, 4}}, Right: []uint8{1}}, {Pairs: [][2]int32{{0, 4}}, Right: []uint8{0}}}},
		{"missing table", []TableSpec{{Pairs: [][2]int32{{0, 1}}, Right: []uint8{3}}}},
		{"missing id", []TableSpec{{Pairs: [][2]int32{{0, 9}}}}},
		{"right classes miscounted", []TableSpec{{Pairs: [][2]int32{{0, 1}}, Right: []uint8{0, 0}}}},
		{"more hidden merges than merges", []TableSpec{{Pairs: [][2]int32{{0, 1}}, Hidden: 2}}},
		{"first merged id past the alphabet", []TableSpec{{Pairs: [][2]int32{{0, 1}}, First: base + 1}}},
	} {
		if _, err := newTables(base, c.tables); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	// A table of positions after a byte numbers its merges from 257: there,
	// 257 is a merge, while 300 (say, a key elsewhere) is a base token in a
	// table that starts at the alphabet size.
	const alphabet = 400
	ts, err := newTables(alphabet, []TableSpec{{Pairs: [][2]int32{{'a', 257}}, Right: []uint8{1}}, {Pairs: [][2]int32{{'b', 'c'}}, First: 257}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ts[0].Expansion(alphabet); !slices.Equal(got, []Token{'a', 'b', 'c'}) || ts[1].Size() != 258 || ts[1].Expansion(300) != nil ||
		!slices.Equal(ts[0].Expansion(300), []Token{300}) {
		t.Errorf("table 0 id %d spells %v (want abc); table 1 has %d ids (want 258)", alphabet, got, ts[1].Size())
	}
	if _, err := newTables(alphabet, []TableSpec{{First: 100}}); err == nil {
		t.Error("a table starting its merges among the bytes: no error")
	}
}

// Pruning: `ab` is only ever a step to `abc` and `abd`, so with room for
// two merges it becomes a hidden merge (an expansion step, not an id).
func TestPruneTables(t *testing.T) {
	const base = 4
	seg := func(toks ...byte) string {
		var b []byte
		for _, x := range toks {
			b = append(b, 0, x)
		}
		return string(b)
	}
	segs := Segments{seg(0, 1, 2): 10, seg(0, 1, 3): 10, seg(2, 3): 1}
	pairs, right, err := TrainClasses(base, 1, segs, TrainOptions{Merges: 3, MinFreq: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]int32{{0, 1}, {4, 2}, {4, 3}}; !slices.Equal(pairs[0], want) {
		t.Fatalf("learned %v, want %v", pairs[0], want)
	}
	spec := []TableSpec{{Pairs: pairs[0], Right: right[0]}}
	pruned, err := PruneTables(base, spec, segs, PruneOptions{Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]int32{{6, 2}, {6, 3}, {0, 1}}; !slices.Equal(pruned[0].Pairs, want) || pruned[0].Hidden != 1 || pruned[0].Right != nil {
		t.Fatalf("pruned to %+v; want %v with one hidden", pruned[0], want)
	}
	ms, err := newTables(base, pruned)
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	if m.Size() != 6 || !slices.Equal(m.Expansion(4), []Token{0, 1, 2}) || !slices.Equal(m.Expansion(5), []Token{0, 1, 3}) || m.Expansion(6) != nil {
		t.Errorf("size %d, ids 4, 5, 6 spell %v %v %v; want 6, abc, abd and no id", m.Size(), m.Expansion(4), m.Expansion(5), m.Expansion(6))
	}
	// Keeping everything changes nothing.
	same, err := PruneTables(base, spec, segs, PruneOptions{Keep: 3})
	if err != nil || !slices.Equal(same[0].Pairs, pairs[0]) || same[0].Hidden != 0 {
		t.Errorf("keep all: %+v, %v", same[0], err)
	}
}
