package tokenizer

import (
	"fmt"
	"slices"
)

// Pruning: BPE leaves steps behind that the shortest spelling rarely uses;
// PruneTables learns more merges than a table holds and keeps the most used,
// a dropped merge that a kept one is built from staying as a hidden merge.

// PruneOptions control PruneTables.
type PruneOptions struct {
	Keep   int // merges (content ids) each table keeps (more by the ids it starts below the alphabet size)
	Rounds int // spell and drop this many times (default 3): usage shifts as merges go
}

// PruneTables keeps opt.Keep merges per table (as TrainClasses learned
// them from segs): those that the shortest spelling of the segments uses
// most, weighted by the segment counts (ties: the earlier merge). It
// returns the tables with the kept merges first, in learning order, then
// the hidden ones. Deterministic.
func PruneTables(base int, tables []TableSpec, segs Segments, opt PruneOptions) ([]TableSpec, error) {
	if opt.Rounds <= 0 {
		opt.Rounds = 3
	}
	all, err := newTables(base, tables)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(segs))
	for k := range segs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	toks, cls, ends, err := flattenSegments(base, len(all), keys)
	if err != nil {
		return nil, err
	}
	live := make([][]bool, len(all)) // merge i of table t is a content id
	for t, m := range all {
		live[t] = make([]bool, len(m.Pairs))
		for i := range live[t] {
			live[t][i] = true
		}
	}
	for round := range opt.Rounds {
		use := spellUsage(all, live, toks, cls, ends, keys, segs)
		for t, m := range all {
			// Drop an even share of the surplus each round.
			dropLeastUsed(live[t], use[t], m.First, opt.Keep+base-m.First, opt.Rounds-round)
		}
	}
	need := neededMerges(all, live)
	return renumberTables(all, tables, live, need), nil
}

// flattenSegments returns the segments (in key order) as tokens and tables
// (symbol = table·base + token) and each segment's end.
func flattenSegments(base, nt int, keys []string) (toks []Token, cls []uint8, ends []int, err error) {
	for _, k := range keys {
		for i := 0; i+1 < len(k); i += 2 {
			s := int(k[i])<<8 | int(k[i+1])
			if s/base >= nt {
				return nil, nil, nil, fmt.Errorf("segment symbol %d: no table %d", s, s/base)
			}
			toks, cls = append(toks, Token(s%base)), append(cls, uint8(s/base))
		}
		ends = append(ends, len(toks))
	}
	return toks, cls, ends, nil
}

// dropLeastUsed drops from one table's live merges (ids from first on) a
// 1/roundsLeft share of those over keep: the least used, and among equals
// the later merge.
func dropLeastUsed(live []bool, use []int64, first, keep, roundsLeft int) {
	n := 0
	for _, l := range live {
		if l {
			n++
		}
	}
	drop := (n - keep + roundsLeft - 1) / roundsLeft
	if drop <= 0 {
		return
	}
	order := make([]int, 0, n)
	for i, l := range live {
		if l {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ua, ub := use[first+a], use[first+b]
		if ua != ub {
			if ua < ub {
				return -1
			}
			return 1
		}
		return b - a
	})
	for _, i := range order[:drop] {
		live[i] = false
	}
}

// neededMerges marks the live merges and the dropped ones a live merge is
// built from, at any depth (those become hidden merges).
func neededMerges(all []*Merges, live [][]bool) [][]bool {
	need := make([][]bool, len(all))
	for t, m := range all {
		need[t] = make([]bool, len(m.Pairs))
	}
	var visit func(t int, id int32)
	visit = func(t int, id int32) {
		i := int(id) - all[t].First
		if i < 0 || need[t][i] {
			return
		}
		need[t][i] = true
		p := all[t].Pairs[i]
		visit(t, p[0])
		visit(rightOf(all[t], i, t), p[1])
	}
	for t, m := range all {
		for i := range m.Pairs {
			if live[t][i] {
				visit(t, int32(m.First+i))
			}
		}
	}
	return need
}

// renumberTables returns the needed merges with new ids: kept merges
// first, then hidden ones, each in learning order.
func renumberTables(all []*Merges, tables []TableSpec, live, need [][]bool) []TableSpec {
	newID := make([][]int32, len(all))
	out := make([]TableSpec, len(all))
	for t, m := range all {
		newID[t] = make([]int32, len(m.Pairs))
		out[t].First = tables[t].First
		next := int32(m.First)
		for pass := range 2 {
			for i := range m.Pairs {
				if need[t][i] && live[t][i] == (pass == 0) {
					newID[t][i] = next
					next++
					if pass == 1 {
						out[t].Hidden++
					}
				}
			}
		}
	}
	mapID := func(t int, id int32) int32 {
		if int(id) < all[t].First {
			return id
		}
		return newID[t][int(id)-all[t].First]
	}
	for t, m := range all {
		n := 0
		for i := range m.Pairs {
			if need[t][i] {
				n++
			}
		}
		out[t].Pairs = make([][2]int32, n)
		if m.Right != nil {
			out[t].Right = make([]uint8, n)
		}
		for i, p := range m.Pairs {
			if !need[t][i] {
				continue
			}
			j := int(newID[t][i]) - m.First
			out[t].Pairs[j] = [2]int32{mapID(t, p[0]), mapID(rightOf(m, i, t), p[1])}
			if m.Right != nil {
				out[t].Right[j] = m.Right[i]
			}
		}
	}
	return out
}

func rightOf(m *Merges, i, t int) int {
	if m.Right != nil {
		return int(m.Right[i])
	}
	return t
}

// spellUsage spells every segment with the live merges (shortest spelling)
// and returns, per table and id, the weighted number of uses.
func spellUsage(all []*Merges, live [][]bool, toks []Token, cls []uint8, ends []int, keys []string, segs Segments) [][]int64 {
	base := all[0].Base
	// A view of each table with only its live merges: ids renumbered
	// densely for the trie, mapped back when counting.
	tries := make([]*matchTrie, len(all))
	back := make([][]int32, len(all))
	for t, m := range all {
		v := &Merges{Base: base, First: m.First, exp: m.exp[:m.First:m.First]}
		back[t] = make([]int32, 0, len(m.Pairs))
		for i := range m.Pairs {
			if live[t][i] {
				v.exp = append(v.exp, m.exp[m.First+i])
				back[t] = append(back[t], int32(m.First+i))
			}
		}
		v.Pairs = make([][2]int32, len(back[t])) // only its length is read
		tries[t] = newMatchTrie(v)
	}
	use := make([][]int64, len(all))
	for t, m := range all {
		use[t] = make([]int64, m.First+len(m.Pairs))
	}
	var cost, from, via []int32
	var ids []int32
	start := 0
	for si, end := range ends {
		seg, c := toks[start:end], cls[start:end]
		n := len(seg) + 1
		if cap(cost) < n {
			cost, from, via = make([]int32, n), make([]int32, n), make([]int32, n)
		}
		ids = shortestSpelling(tries, ids[:0], seg, c, cost[:n], from[:n], via[:n])
		w := segs[keys[si]]
		pos := 0
		for _, id := range ids {
			t := c[pos]
			orig := id
			if int(id) >= all[t].First {
				orig = back[t][int(id)-all[t].First]
			}
			use[t][orig] += w
			pos += len(all[t].exp[orig])
		}
		start = end
	}
	return use
}
