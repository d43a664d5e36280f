package tokenizer

import (
	"fmt"
	"sort"
)

// Merge classes: table 0 is shared and each further table serves the nodes
// listed for it (a `run` script's text, say), so each class has the whole
// merge range to itself; a merged id belongs to the class of its first token
// (Machine.class reads it from the state) and may run into another class.

// MaxClasses bounds the number of merge classes.
const MaxClasses = 16

// MaxTables bounds the merge tables (classes × lexical states): a training
// symbol is table·base + token in 16 bits.
const MaxTables = 60

// MaxLex is the most lexical states per class.
const MaxLex = 5

// Lexical states: within a class, a position's table also depends on the
// kind of token before it (start of a value, letter or digit, space, line
// break, punctuation); lexGroups maps those kinds to the states of each Lex.
var lexGroups = [MaxLex + 1][5]uint8{
	// start, word, space, line break, punctuation
	1: {0, 0, 0, 0, 0},
	2: {0, 1, 0, 0, 0},
	3: {0, 1, 0, 0, 2},
	4: {0, 1, 2, 0, 3},
	5: {0, 1, 2, 3, 4},
}

func lexKind(t Token) int {
	switch {
	case t > 255:
		return 0
	case t >= 'a' && t <= 'z' || t >= 'A' && t <= 'Z' || t >= '0' && t <= '9' || t >= 0x80 || t == '_':
		return 1
	case t == ' ' || t == '\t':
		return 2
	case t == '\n' || t == '\r':
		return 3
	}
	return 4
}

// ByteTable reports whether the positions of merge table i always follow a
// byte (its lexical state is not that of a value's start): only a byte or
// END can start there, so the ids of the other base tokens are free.
func (g *Grammar) ByteTable(i int) bool { return i%g.Lex() != int(lexGroups[g.Lex()][0]) }

// FirstMerged is the first merged id of each table: 257 (after END) for
// tables of positions after a byte, else the alphabet size.
func (g *Grammar) FirstMerged() []int {
	first := make([]int, g.Tables())
	for i := range first {
		first[i] = g.Size
		if g.ByteTable(i) {
			first[i] = int(TokEnd) + 1
		}
	}
	return first
}

// Tables is the number of merge tables: classes × lexical states.
func (g *Grammar) Tables() int { return (g.classes + 1) * g.Lex() }

// Lex is the number of lexical states per merge class.
func (g *Grammar) Lex() int { return max(int(g.lex), 1) }

// tableOf is the merge table of a token of class c after the token prev.
func (g *Grammar) tableOf(c uint8, prev Token) uint8 {
	return c*uint8(g.Lex()) + g.lexTab[min(prev, 256)]
}

// lexRefine turns the class of each token into its table: the class's
// merge range for the lexical state the token before it leaves.
func (g *Grammar) lexRefine(toks []Token, classes []uint8) {
	if g.Lex() == 1 {
		return
	}
	prev := TokEnd
	for i, t := range toks[:len(classes)] {
		classes[i] = g.tableOf(classes[i], prev)
		prev = t
	}
}

// SetClasses assigns merge classes: nodes[i] lists the node paths of class
// i+1; every other node is in class 0. Each class has lex lexical states
// (1: none).
func (g *Grammar) SetClasses(nodes [][]string, lex int) error {
	if len(nodes)+1 > MaxClasses {
		return fmt.Errorf("%d merge classes; at most %d", len(nodes)+1, MaxClasses)
	}
	if lex < 1 || lex > MaxLex {
		return fmt.Errorf("%d lexical states; 1 to %d", lex, MaxLex)
	}
	if (len(nodes)+1)*lex > MaxTables {
		return fmt.Errorf("%d merge classes × %d lexical states: more than %d tables", len(nodes)+1, lex, MaxTables)
	}
	g.lex, g.classes = uint8(lex), len(nodes)
	for t := range g.lexTab {
		g.lexTab[t] = lexGroups[lex][lexKind(Token(t))]
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

// class is the merge table of the next token: the class of the node in
// charge (for an array, of its items: the next token starts an item or ends
// it) in the lexical state the last token left.
func (m *Machine) class() uint8 {
	f := m.top()
	if f == nil {
		return 0
	}
	c := f.node.class
	if f.kind == fArray {
		c = f.node.items.class
	}
	return m.g.tableOf(c, m.prev)
}

// ClassOptions choose merge classes from the free text of a corpus.
type ClassOptions struct {
	Max      int     // merge classes in all (1: one shared class)
	MinShare float64 // a node needs this share of the free-text bytes
	Lex      int     // lexical states per class (0 or 1: none)
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
