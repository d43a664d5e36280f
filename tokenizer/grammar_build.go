package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
)

// Grammar is a compiled schema: the nodes the encoder and decoder share.
type Grammar struct {
	root, any *Node
	nodes     []*Node
	// EnumBase is ENUM slot 0; Size is the base alphabet size.
	EnumBase Token
	Size     int
	// MaxKeys and MaxEnum are the most keys and enum values of one node.
	MaxKeys, MaxEnum int
	// Fingerprint is the sha256 of the schema text the grammar was compiled from.
	Fingerprint string
	schema      []byte

	// lex is the number of lexical states per merge class (0: one); lexTab
	// maps the token before a position to its state (see classes.go).
	lex     uint8
	lexTab  [257]uint8
	classes int // merge classes beyond the shared one
	// recall is the number of recall slots of every string node (recall.go);
	// recallPool lends encoders' recall indexes.
	recall     int
	recallPool sync.Pool

	matchMu  sync.Mutex
	matchers map[*Node][]*keyMatcher
	masks    staticMasks
}

func newGrammar(root, anyNode *Node, nodes []*Node, schema []byte, recall int) (*Grammar, error) {
	g := &Grammar{root: root, any: anyNode, nodes: nodes, matchers: map[*Node][]*keyMatcher{}, recall: recall}
	if recall < 0 || recall > MaxRecall {
		return nil, fmt.Errorf("%d recall slots: want 0 to %d", recall, MaxRecall)
	}
	for _, n := range nodes {
		g.MaxKeys = max(g.MaxKeys, len(n.Props))
		g.MaxEnum = max(g.MaxEnum, len(n.Enum))
	}
	if int(KeyBase)+g.MaxKeys > MaxAlphabet {
		return nil, fmt.Errorf("schema: an object with %d properties does not fit the %d-token alphabet", g.MaxKeys, MaxAlphabet)
	}
	// Enum values past the alphabet's room (less the recall slots) are left
	// out of the enum: such a value is then encoded as a fallback, still
	// losslessly.
	room := MaxAlphabet - int(KeyBase) - g.MaxKeys - recall
	if room < 0 {
		return nil, fmt.Errorf("%d recall slots do not fit the %d-token alphabet", recall, MaxAlphabet)
	}
	if g.MaxEnum > room {
		for _, n := range nodes {
			if len(n.Enum) > room {
				for _, e := range n.Enum[room:] {
					delete(n.enumIndex, e)
				}
				n.Enum = n.Enum[:room]
			}
		}
		g.MaxEnum = room
	}
	for _, n := range nodes {
		for _, v := range n.Enum {
			n.enumMax = max(n.enumMax, len(v))
		}
	}
	g.EnumBase = KeyBase + Token(g.MaxKeys)
	g.Size = int(g.EnumBase) + g.MaxEnum + recall
	sum := sha256.Sum256(schema)
	g.Fingerprint = hex.EncodeToString(sum[:])
	g.schema = append([]byte(nil), schema...)
	g.masks = buildStaticMasks(g.Size)
	for _, n := range nodes {
		for _, p := range n.patterns {
			if _, err := newKeyMatcher(p.re.String()); err != nil {
				return nil, fmt.Errorf("schema: pattern %q: %w", p.re, err)
			}
		}
	}
	// Precompute every node's first-token sets, so machines share the
	// grammar read-only.
	for _, strict := range []bool{false, true} {
		m := g.NewMachine(strict)
		for _, n := range append(nodes, anyNode) {
			m.valueMask(n)
		}
	}
	return g, nil
}

// matcher returns the NFA of n's i-th pattern (compiled once).
func (g *Grammar) matcher(n *Node, i int) *keyMatcher {
	g.matchMu.Lock()
	defer g.matchMu.Unlock()
	ms, ok := g.matchers[n]
	if !ok {
		for _, p := range n.patterns {
			k, _ := newKeyMatcher(p.re.String()) // validated in newGrammar
			ms = append(ms, k)
		}
		g.matchers[n] = ms
	}
	return ms[i]
}

// Schema is the JSON Schema text the grammar was compiled from.
func (g *Grammar) Schema() []byte { return g.schema }

// Root is the grammar node of a whole document.
func (g *Grammar) Root() *Node { return g.root }

// tokenName describes t in the state of frame f (nil: generic).
func (g *Grammar) tokenName(t Token, f *frame) string {
	name, _ := g.describeToken(t, f)
	return name
}

// describeToken names base token t in frame f and says its kind (the Kind*
// constants): one place decides both, so names and kinds cannot disagree.
func (g *Grammar) describeToken(t Token, f *frame) (name, kind string) {
	switch {
	case t < 256:
		if t >= 0x20 && t < 0x7f {
			return strconv.Quote(string(rune(t))), KindByte
		}
		return fmt.Sprintf("byte 0x%02x", int(t)), KindByte
	case t < KeyBase:
		return structureNames[t-TokEnd], KindStructure
	case t < g.EnumBase:
		i := int(t - KeyBase)
		if f != nil && f.kind == fString {
			return fmt.Sprintf("LINE#%d", i), KindRecall // a line recalled inside a string
		}
		if f != nil && (f.kind == fObject || f.kind == fValue) && i < len(f.node.Props) {
			return "KEY " + f.node.Props[i].Name, KindKey
		}
		return fmt.Sprintf("KEY#%d", i), KindKey
	}
	i := int(t - g.EnumBase)
	if f != nil && f.kind == fValue && i < len(f.node.Enum) {
		return "ENUM " + f.node.Enum[i], KindValue
	}
	if k := g.recallIndexOf(t); k >= 0 && f != nil {
		switch {
		case f.kind == fValue && g.recallable(f.node):
			return fmt.Sprintf("RECALL#%d", k), KindRecall
		case (f.kind == fObject || f.kind == fValue) && g.keyRecallable(f.node):
			return fmt.Sprintf("RECALL-KEY#%d", k), KindRecall
		}
	}
	return fmt.Sprintf("ENUM#%d", i), KindValue
}

// structureNames are the names of the structural tokens, TokEnd to TokNull.
var structureNames = [...]string{"END", "END_OBJ", "END_ARR", "ESC", "OBJ", "ARR", "NUM", "true", "false", "null"}
