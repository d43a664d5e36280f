package tokenizer

import (
	"fmt"
	"sort"

	"github.com/tct-dev/tct/internal/canon"
)

// Dictionary adds learned slots to grammar nodes: frequent string values
// become ENUM slots of the node where they occur, and frequent keys of open
// maps (env, with, matrix) become KEY slots of their object. Slots are
// context-dependent, so each node gets up to the whole slot range: the
// dictionary holds far more values than the alphabet has ids.
type Dictionary struct {
	Values map[string][]string `json:"values,omitempty"` // node path → values
	Keys   map[string][]string `json:"keys,omitempty"`   // object node path → keys
	// Recall is the number of ENUM slots every string node has past its
	// values for strings recalled from earlier in the document (recall.go).
	Recall int `json:"recall,omitempty"`
}

// CompileSchemaDict compiles a schema and adds a dictionary's slots.
func CompileSchemaDict(schemaJSON []byte, dict *Dictionary) (*Grammar, error) {
	return compile(schemaJSON, dict)
}

// applyDict adds the dictionary to the compiled nodes.
func applyDict(nodes []*Node, dict *Dictionary) error {
	if dict == nil {
		return nil
	}
	byPath := make(map[string]*Node, len(nodes))
	for _, n := range nodes {
		byPath[n.Path] = n
	}
	for path, vals := range dict.Values {
		n := byPath[path]
		if n == nil {
			return fmt.Errorf("dictionary: no grammar node %q", path)
		}
		if n.Free&tString == 0 {
			return fmt.Errorf("dictionary: node %q takes no strings", path)
		}
		for _, v := range vals {
			c := string(canon.AppendString(nil, v))
			if _, ok := n.enumIndex[c]; !ok {
				n.enumIndex[c] = len(n.Enum)
				n.Enum = append(n.Enum, c)
			}
		}
	}
	for path, keys := range dict.Keys {
		n := byPath[path]
		if n == nil {
			return fmt.Errorf("dictionary: no grammar node %q", path)
		}
		for _, k := range keys {
			if _, ok := n.propIndex[k]; ok {
				continue
			}
			vn, ok := n.valueNodeForKey(k)
			if !ok {
				return fmt.Errorf("dictionary: key %q is not allowed at %q", k, path)
			}
			n.propIndex[k] = len(n.Props)
			n.Props = append(n.Props, Prop{Name: k, Node: vn})
			if n.alts > 0 { // a learned key is one the open alternatives take
				n.allowedBy = append(n.allowedBy, n.openAlts)
			}
		}
	}
	return nil
}

// DictLearner counts string values and open-map keys per node.
type DictLearner struct {
	g     *Grammar
	stats map[dictKey]*dictStat
}

type dictKey struct {
	node  *Node
	isKey bool
	text  string
}

type dictStat struct {
	occ   int64
	repos []string // distinct repositories, up to maxRepos
}

const maxRepos = 8

// NewDictLearner starts counting under g (compiled without a dictionary).
func (g *Grammar) NewDictLearner() *DictLearner {
	return &DictLearner{g: g, stats: map[dictKey]*dictStat{}}
}

// Observe counts the values and keys of one canonical JSON document.
func (l *DictLearner) Observe(doc []byte, repo string) error {
	e := baseEncoder{g: l.g, src: doc, obs: func(n *Node, isKey bool, s []byte) {
		k := dictKey{n, isKey, string(s)}
		st := l.stats[k]
		if st == nil {
			st = &dictStat{}
			l.stats[k] = st
		}
		st.occ++
		if len(st.repos) < maxRepos {
			for _, r := range st.repos {
				if r == repo {
					return
				}
			}
			st.repos = append(st.repos, repo)
		}
	}}
	_, _, err := e.run()
	return err
}

// Merge adds another learner's counts (parallel counting).
func (l *DictLearner) Merge(o *DictLearner) {
	for k, v := range o.stats {
		st := l.stats[k]
		if st == nil {
			l.stats[k] = v
			continue
		}
		st.occ += v.occ
		for _, r := range v.repos {
			if len(st.repos) >= maxRepos {
				break
			}
			dup := false
			for _, x := range st.repos {
				dup = dup || x == r
			}
			if !dup {
				st.repos = append(st.repos, r)
			}
		}
	}
}

// DictOptions bound a learned dictionary.
type DictOptions struct {
	KeySlots  int // the most KEY slots of one node (schema keys included)
	EnumSlots int // the most ENUM slots of one node (schema enum values included)
	MinRepos  int // a value must occur in this many repositories
	MinCount  int64
	MaxLen    int // longest value or key taken
	Recall    int // ENUM slots of every string node kept for recall (out of EnumSlots)
}

// Dictionary chooses, per node, the values and keys that save the most
// tokens: occurrences × (1 + bytes/4), among those seen in MinRepos
// repositories (so that the dictionary generalises beyond its training set).
func (l *DictLearner) Dictionary(opt DictOptions) *Dictionary {
	type cand struct {
		text  string
		score float64
	}
	per := map[*Node]map[bool][]cand{}
	for k, st := range l.stats {
		if len(st.repos) < opt.MinRepos || st.occ < opt.MinCount || len(k.text) > opt.MaxLen {
			continue
		}
		if per[k.node] == nil {
			per[k.node] = map[bool][]cand{}
		}
		per[k.node][k.isKey] = append(per[k.node][k.isKey], cand{k.text, float64(st.occ) * (1 + float64(len(k.text))/4)})
	}
	d := &Dictionary{Values: map[string][]string{}, Keys: map[string][]string{}, Recall: opt.Recall}
	for n, byKind := range per {
		for isKey, cs := range byKind {
			sort.Slice(cs, func(i, j int) bool {
				return cs[i].score > cs[j].score || cs[i].score == cs[j].score && cs[i].text < cs[j].text
			})
			room := opt.EnumSlots - opt.Recall - len(n.Enum)
			if isKey {
				room = opt.KeySlots - len(n.Props)
			}
			var out []string
			for _, c := range cs {
				if len(out) >= room {
					break
				}
				out = append(out, c.text)
			}
			if len(out) == 0 {
				continue
			}
			if isKey {
				d.Keys[n.Path] = out
			} else {
				d.Values[n.Path] = out
			}
		}
	}
	return d
}
