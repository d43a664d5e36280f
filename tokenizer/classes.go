package tokenizer

import (
	"fmt"
	"sort"
)

// Merge classes. The merges of a tokenizer come in tables: table 0 is
// shared, and each further table serves the nodes listed for it (the free
// text of `run` scripts, say). An id above the base alphabet means what the
// table of the current grammar state says, as KEY and ENUM slots already
// do, so each class has the whole merge range to itself. The encoder tags
// every base token with its class and the machine reads the same class from
// its state (Machine.class); a merged id belongs to the class of its first
// token and may run on into tokens of another class (a key, then its value).

// MaxClasses bounds the number of merge tables.
const MaxClasses = 16

// SetClasses assigns merge classes: nodes[i] lists the node paths of class
// i+1; every other node is in class 0.
func (g *Grammar) SetClasses(nodes [][]string) error {
	if len(nodes)+1 > MaxClasses {
		return fmt.Errorf("%d merge classes; at most %d", len(nodes)+1, MaxClasses)
	}
	byPath := make(map[string]*Node, len(g.nodes))
	for _, n := range g.nodes {
		byPath[n.Path] = n
		n.class = 0
	}
	for i, paths := range nodes {
		for _, p := range paths {
			n := byPath[p]
			if n == nil {
				return fmt.Errorf("merge class %d: no grammar node %q", i+1, p)
			}
			if n.class != 0 {
				return fmt.Errorf("merge class %d: node %q is already in class %d", i+1, p, n.class)
			}
			n.class = uint8(i + 1)
		}
	}
	return nil
}

// class is the merge class of the next token: that of the node in charge
// (for an array, of its items: the next token starts an item or ends it).
func (m *Machine) class() uint8 {
	f := m.top()
	if f == nil {
		return 0
	}
	if f.kind == fArray {
		return f.node.items.class
	}
	return f.node.class
}

// ClassOptions choose merge classes from the free text of a corpus.
type ClassOptions struct {
	Max      int     // merge tables in all (1: one shared table)
	MinShare float64 // a node needs this share of the free-text bytes
}

// Classes picks the grammar nodes whose string values (those not in the
// dictionary) carry the most bytes: each node with at least MinShare of
// them gets a merge class of its own, the largest first, up to Max-1.
func (l *DictLearner) Classes(dict *Dictionary, opt ClassOptions) [][]string {
	if opt.Max <= 1 {
		return nil
	}
	inDict := map[string]map[string]bool{}
	if dict != nil {
		for path, vals := range dict.Values {
			inDict[path] = map[string]bool{}
			for _, v := range vals {
				inDict[path][v] = true
			}
		}
	}
	vol := map[string]int64{}
	var total int64
	for k, st := range l.stats {
		if k.isKey || inDict[k.node.Path][k.text] {
			continue
		}
		b := st.occ * int64(len(k.text))
		vol[k.node.Path] += b
		total += b
	}
	paths := make([]string, 0, len(vol))
	for p, v := range vol {
		if total > 0 && float64(v) >= opt.MinShare*float64(total) {
			paths = append(paths, p)
		}
	}
	sort.Slice(paths, func(i, j int) bool {
		return vol[paths[i]] > vol[paths[j]] || vol[paths[i]] == vol[paths[j]] && paths[i] < paths[j]
	})
	var out [][]string
	for _, p := range paths {
		if len(out) >= min(opt.Max, MaxClasses)-1 {
			break
		}
		out = append(out, []string{p})
	}
	return out
}
