package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tct-dev/tct/internal/canon"
)

// raw is one JSON Schema object as written, with $ref left symbolic.
type raw struct {
	id        int
	always    bool // the schema `true` or `{}`-like: says nothing
	never     bool // the schema `false`
	types     typeSet
	hasType   bool
	enum      []string // canonical JSON texts
	hasEnum   bool
	props     map[string]*raw
	required  []string
	addl      *raw
	addlSet   bool // additionalProperties was given
	patterns  []rawPattern
	items     *raw
	minItems  int
	minProps  int    // minProperties
	pattern   string // a string's pattern (search semantics, as JSON Schema)
	anyOf     []*raw // anyOf and oneOf: alternatives
	allOf     []*raw
	ref       string
	hasObject bool // object keywords present
	hasArray  bool
}

type rawPattern struct {
	re     string
	schema *raw
}

// compiler turns a JSON Schema document into grammar nodes.
type compiler struct {
	doc    any
	raws   []*raw
	byPtr  map[string]*raw // $ref target → raw
	nodes  map[string]*Node
	merged map[[2]int]*raw
	all    []*Node
	any    *Node
}

// CompileSchema compiles a JSON Schema (the draft-07 subset real schemas use)
// into a grammar.
func CompileSchema(schemaJSON []byte) (*Grammar, error) {
	return compile(schemaJSON, nil)
}

func compile(schemaJSON []byte, dict *Dictionary) (*Grammar, error) {
	dec := json.NewDecoder(bytes.NewReader(schemaJSON))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	c := &compiler{doc: doc, byPtr: map[string]*raw{}, nodes: map[string]*Node{}, merged: map[[2]int]*raw{}}
	root, err := c.parse(doc, "#")
	if err != nil {
		return nil, err
	}
	c.any = &Node{id: -1, Any: true, Free: tAll}
	c.any.additional, c.any.items = c.any, c.any
	rootNode, err := c.node([]*raw{root}, "$")
	if err != nil {
		return nil, err
	}
	paths := map[string]bool{}
	for _, n := range c.all {
		if paths[n.Path] {
			n.Path += fmt.Sprintf("#%d", n.id) // two nodes first reached by equal path text
		}
		paths[n.Path] = true
	}
	if err := applyDict(c.all, dict); err != nil {
		return nil, err
	}
	recall := 0
	if dict != nil {
		recall = dict.Recall
	}
	return newGrammar(rootNode, c.any, c.all, schemaJSON, recall)
}

func (c *compiler) newRaw() *raw {
	r := &raw{id: len(c.raws)}
	c.raws = append(c.raws, r)
	return r
}

// parse reads a schema value at JSON pointer ptr.
func (c *compiler) parse(v any, ptr string) (*raw, error) {
	if r, ok := c.byPtr[ptr]; ok {
		return r, nil
	}
	r := c.newRaw()
	c.byPtr[ptr] = r
	switch s := v.(type) {
	case bool:
		r.always, r.never = s, !s
		return r, nil
	case map[string]any:
		return r, c.fill(r, s, ptr)
	}
	return nil, fmt.Errorf("schema %s: a schema must be an object or a boolean, not %T", ptr, v)
}

func (c *compiler) fill(r *raw, s map[string]any, ptr string) error {
	for key, v := range s {
		if err := c.fillKey(r, ptr, key, v); err != nil {
			return err
		}
	}
	if !r.hasType && !r.hasEnum && !r.hasObject && !r.hasArray && r.pattern == "" && r.ref == "" && r.anyOf == nil && r.allOf == nil {
		r.always = true
	}
	return nil
}

// fillKey reads one keyword of the schema at ptr into r.
func (c *compiler) fillKey(r *raw, ptr, key string, v any) error {
	var err error
	switch key {
	case "type":
		r.hasType = true
		r.types |= parseTypes(v)
	case "enum":
		r.hasEnum = true
		arr, _ := v.([]any)
		for _, e := range arr {
			r.enum = append(r.enum, canonical(e))
		}
	case "const":
		r.hasEnum = true
		r.enum = []string{canonical(v)}
	case "properties":
		r.hasObject = true
		return c.fillProps(r, v, ptr)
	case "required":
		r.hasObject = true // a constraint-only branch (`{required: [a]}`) still constrains
		arr, _ := v.([]any)
		for _, e := range arr {
			if name, ok := e.(string); ok {
				r.required = append(r.required, name)
			}
		}
	case "additionalProperties":
		r.addlSet, r.hasObject = true, true
		r.addl, err = c.parse(v, ptr+"/"+escapePtr(key))
	case "patternProperties":
		r.hasObject = true
		return c.fillPatterns(r, v, ptr)
	case "items":
		r.hasArray = true
		return c.fillItems(r, v, ptr)
	case "minItems":
		if n, ok := v.(json.Number); ok {
			m, _ := n.Int64()
			r.minItems = int(m)
		}
		r.hasArray = true
	case "minProperties":
		if n, ok := v.(json.Number); ok {
			m, _ := n.Int64()
			r.minProps = int(m)
		}
		r.hasObject = true
	case "pattern":
		r.pattern, _ = v.(string)
	case "anyOf", "oneOf":
		alts, err := c.list(v, ptr, key)
		if err != nil {
			return err
		}
		r.anyOf = append(r.anyOf, alts...)
	case "allOf":
		r.allOf, err = c.list(v, ptr, key)
	case "$ref":
		r.ref, _ = v.(string)
	}
	return err
}

// parseTypes reads a "type" keyword: a name or a list of names.
func parseTypes(v any) typeSet {
	var ts typeSet
	switch t := v.(type) {
	case string:
		ts |= typeNames[t]
	case []any:
		for _, e := range t {
			name, _ := e.(string)
			ts |= typeNames[name]
		}
	}
	return ts
}

// list parses the array of schemas under key.
func (c *compiler) list(v any, ptr, key string) ([]*raw, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("schema %s/%s: want an array", ptr, key)
	}
	out := make([]*raw, len(arr))
	for i, e := range arr {
		var err error
		if out[i], err = c.parse(e, ptr+"/"+key+"/"+strconv.Itoa(i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *compiler) fillProps(r *raw, v any, ptr string) error {
	m, _ := v.(map[string]any)
	r.props = make(map[string]*raw, len(m))
	for name, ps := range m {
		var err error
		if r.props[name], err = c.parse(ps, ptr+"/properties/"+escapePtr(name)); err != nil {
			return err
		}
	}
	return nil
}

// fillPatterns reads patternProperties, in pattern order.
func (c *compiler) fillPatterns(r *raw, v any, ptr string) error {
	m, _ := v.(map[string]any)
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ps, err := c.parse(m[name], ptr+"/patternProperties/"+escapePtr(name))
		if err != nil {
			return err
		}
		r.patterns = append(r.patterns, rawPattern{name, ps})
	}
	return nil
}

// fillItems reads items; the tuple form admits any of the item schemas.
func (c *compiler) fillItems(r *raw, v any, ptr string) error {
	if _, ok := v.([]any); !ok {
		var err error
		r.items, err = c.parse(v, ptr+"/items")
		return err
	}
	alts, err := c.list(v, ptr, "items")
	if err != nil {
		return err
	}
	u := c.newRaw()
	u.anyOf = alts
	r.items = u
	return nil
}

func escapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// resolve follows a $ref (a JSON pointer into the same document).
func (c *compiler) resolve(ref string) (*raw, error) {
	if r, ok := c.byPtr[ref]; ok {
		return r, nil
	}
	if !strings.HasPrefix(ref, "#") {
		return nil, fmt.Errorf("schema: $ref %q: only references into the same document are supported", ref)
	}
	v := c.doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#"), "/")[1:] {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(x) {
				return nil, fmt.Errorf("schema: $ref %q does not resolve", ref)
			}
			v = x[i]
		default:
			v = nil
		}
		if v == nil {
			return nil, fmt.Errorf("schema: $ref %q does not resolve", ref)
		}
	}
	return c.parse(v, ref)
}

// expand turns a schema into its alternatives without combinators: each
// leaf is a plain schema (types, enum, object and array keywords).
// Constraint-only branches (`oneOf: [{required: [a]}, ...]`) are merged
// with the schema's own keywords.
func (c *compiler) expand(r *raw, seen map[int]bool) ([]*raw, error) {
	if seen[r.id] {
		return nil, nil // a cycle through combinators adds nothing new
	}
	seen[r.id] = true
	defer delete(seen, r.id)
	if r.always || r.never {
		return []*raw{r}, nil
	}
	base := []*raw{c.own(r)}
	if r.ref != "" {
		target, err := c.resolve(r.ref)
		if err != nil {
			return nil, err
		}
		t, err := c.expand(target, seen)
		if err != nil {
			return nil, err
		}
		base = c.product(base, t, r.hasType || r.hasEnum || r.hasObject || r.hasArray)
	}
	for _, a := range r.allOf {
		t, err := c.expand(a, seen)
		if err != nil {
			return nil, err
		}
		base = c.product(base, t, true)
	}
	if len(r.anyOf) > 0 {
		var alts []*raw
		for _, a := range r.anyOf {
			t, err := c.expand(a, seen)
			if err != nil {
				return nil, err
			}
			alts = append(alts, t...)
		}
		base = c.product(base, alts, true)
	}
	return base, nil
}

// own is r without its combinators and $ref.
func (c *compiler) own(r *raw) *raw {
	if r.ref == "" && r.anyOf == nil && r.allOf == nil {
		return r
	}
	o := *r
	o.ref, o.anyOf, o.allOf = "", nil, nil
	o.id = c.newRaw().id
	c.raws[o.id] = &o
	if !o.hasType && !o.hasEnum && !o.hasObject && !o.hasArray && o.pattern == "" {
		o.always = true
	}
	return &o
}

// product merges every leaf of a with every leaf of b (allOf semantics).
// When a says nothing of its own (keep=false), b replaces it.
func (c *compiler) product(a, b []*raw, keep bool) []*raw {
	if !keep {
		return b
	}
	var out []*raw
	for _, x := range a {
		for _, y := range b {
			out = append(out, c.merge(x, y))
		}
	}
	return out
}

// merge intersects two leaves (both must hold).
func (c *compiler) merge(x, y *raw) *raw {
	switch {
	case x.always:
		return y
	case y.always:
		return x
	case x.never:
		return x
	case y.never:
		return y
	}
	key := [2]int{x.id, y.id}
	if m, ok := c.merged[key]; ok {
		return m
	}
	m := c.newRaw()
	c.merged[key] = m
	m.hasType = x.hasType || y.hasType
	m.types = mergeTypes(x, y)
	m.hasEnum = x.hasEnum || y.hasEnum
	m.enum = mergeEnum(x, y)
	m.hasObject, m.hasArray = x.hasObject || y.hasObject, x.hasArray || y.hasArray
	c.mergeObject(m, x, y)
	switch {
	case x.items != nil && y.items != nil:
		m.items = c.both(x.items, y.items)
	case x.items != nil:
		m.items = x.items
	default:
		m.items = y.items
	}
	m.minItems = max(x.minItems, y.minItems)
	m.minProps = max(x.minProps, y.minProps)
	m.pattern = x.pattern // two patterns at once do not occur in the schemas we compile
	if m.pattern == "" {
		m.pattern = y.pattern
	}
	return m
}

// both is a schema that holds where a and b both hold.
func (c *compiler) both(a, b *raw) *raw {
	r := c.newRaw()
	r.allOf = []*raw{a, b}
	return r
}

func mergeTypes(x, y *raw) typeSet {
	switch {
	case x.hasType && y.hasType:
		t := x.types & y.types
		if x.types&tNumber != 0 && y.types&tInteger != 0 || y.types&tNumber != 0 && x.types&tInteger != 0 {
			t |= tInteger
		}
		return t
	case x.hasType:
		return x.types
	}
	return y.types
}

// mergeEnum returns the enum values both allow, in x's order.
func mergeEnum(x, y *raw) []string {
	switch {
	case x.hasEnum && y.hasEnum:
		in := map[string]bool{}
		for _, e := range y.enum {
			in[e] = true
		}
		var out []string
		for _, e := range x.enum {
			if in[e] {
				out = append(out, e)
			}
		}
		return out
	case x.hasEnum:
		return x.enum
	}
	return y.enum
}

// mergeObject merges the object keywords of x and y into m.
func (c *compiler) mergeObject(m, x, y *raw) {
	if x.props != nil || y.props != nil {
		m.props = map[string]*raw{}
		for k, v := range x.props {
			m.props[k] = v
		}
		for k, v := range y.props {
			if w, ok := m.props[k]; ok {
				m.props[k] = c.both(w, v)
			} else {
				m.props[k] = v
			}
		}
	}
	m.required = append(append([]string{}, x.required...), y.required...)
	switch {
	case x.addlSet && y.addlSet:
		m.addl, m.addlSet = c.both(x.addl, y.addl), true
	case x.addlSet:
		m.addl, m.addlSet = x.addl, true
	case y.addlSet:
		m.addl, m.addlSet = y.addl, true
	}
	m.patterns = append(append([]rawPattern{}, x.patterns...), y.patterns...)
}

// leafTypes is what a leaf admits, inferring the type from its keywords.
func leafTypes(l *raw) typeSet {
	if l.hasType {
		return l.types
	}
	var t typeSet
	if l.hasObject {
		t |= tObject
	}
	if l.hasArray {
		t |= tArray
	}
	if t == 0 && !l.hasEnum {
		t = tAll
	}
	return t
}

// node returns the grammar node for the union of the schemas in set; path
// names the position where the node is first reached (nodes are shared).
func (c *compiler) node(set []*raw, path string) (*Node, error) {
	leaves, always, err := c.leaves(set)
	if err != nil {
		return nil, err
	}
	if always {
		return c.any, nil
	}
	ids := make([]int, len(leaves))
	for i, l := range leaves {
		ids[i] = l.id
	}
	sort.Ints(ids)
	key := fmt.Sprint(ids)
	if n, ok := c.nodes[key]; ok {
		return n, nil
	}
	n := &Node{id: len(c.all), Path: path, enumIndex: map[string]int{}, propIndex: map[string]int{}}
	c.nodes[key] = n
	c.all = append(c.all, n)
	p := nodeParts{propSets: map[string][]*raw{}, minItems: -1, minProps: -1}
	for _, l := range leaves {
		if err := c.addLeaf(n, &p, l, path); err != nil {
			return nil, err
		}
	}
	if n.Free&tNumber != 0 {
		n.Free &^= tInteger
	}
	if err := c.objectParts(n, &p, path); err != nil {
		return nil, err
	}
	switch {
	case p.itemsAny:
		n.items = c.any
	case len(p.itemSets) > 0:
		if n.items, err = c.node(p.itemSets, path+"[]"); err != nil {
			return nil, err
		}
	case p.arrLeaves > 0:
		n.items = c.any
	}
	n.minItems = max(p.minItems, 0)
	n.minProps = max(p.minProps, 0)
	if err := n.setStringPattern(p.strPatterns, p.strFree); err != nil {
		return nil, fmt.Errorf("schema at %s: %w", path, err)
	}
	return n, nil
}

// leaves expands the schemas of set into distinct leaves, dropping those
// that never hold; always: one leaf always holds.
func (c *compiler) leaves(set []*raw) (leaves []*raw, always bool, err error) {
	seenLeaf := map[int]bool{}
	for _, r := range set {
		ls, err := c.expand(r, map[int]bool{})
		if err != nil {
			return nil, false, err
		}
		for _, l := range ls {
			if l.always {
				return nil, true, nil
			}
			if !l.never && !seenLeaf[l.id] {
				seenLeaf[l.id] = true
				leaves = append(leaves, l)
			}
		}
	}
	return leaves, false, nil
}

// nodeParts gathers the object and array keywords of a node's leaves.
type nodeParts struct {
	propSets     map[string][]*raw
	addlSets     []*raw
	addlAny      bool
	itemSets     []*raw
	itemsAny     bool
	requiredSets [][]string
	objAlts      []*raw // the object leaves, kept apart for strict alternatives
	objLeaves    int
	arrLeaves    int
	minItems     int // -1: no array leaf yet
	minProps     int // -1: no object leaf yet
	strPatterns  []string
	strFree      bool // a string leaf without a pattern
}

// addLeaf adds one leaf's enum values and types to n, and its object and
// array keywords to p (pattern properties become nodes at once).
func (c *compiler) addLeaf(n *Node, p *nodeParts, l *raw, path string) error {
	t := leafTypes(l)
	if l.hasEnum {
		for _, e := range l.enum {
			if _, ok := n.enumIndex[e]; !ok {
				n.enumIndex[e] = len(n.Enum)
				n.Enum = append(n.Enum, e)
			}
		}
		return nil
	}
	n.Free |= t
	if t&tString != 0 {
		if l.pattern == "" {
			p.strFree = true
		} else {
			p.strPatterns = append(p.strPatterns, l.pattern)
		}
	}
	if t&tObject != 0 {
		p.objLeaves++
		if p.minProps < 0 || l.minProps < p.minProps {
			p.minProps = l.minProps
		}
		for k, v := range l.props {
			p.propSets[k] = append(p.propSets[k], v)
		}
		switch {
		case !l.addlSet || l.addl.always:
			p.addlAny = true
		case l.addl.never:
		default:
			p.addlSets = append(p.addlSets, l.addl)
		}
		for _, pp := range l.patterns {
			re, err := regexp.Compile(pp.re)
			if err != nil {
				return fmt.Errorf("schema: patternProperties %q: %w", pp.re, err)
			}
			pn, err := c.node([]*raw{pp.schema}, path+".<"+pp.re+">")
			if err != nil {
				return err
			}
			n.patterns = append(n.patterns, patternProp{re, pn})
		}
		p.requiredSets = append(p.requiredSets, l.required)
		p.objAlts = append(p.objAlts, l)
	}
	if t&tArray != 0 {
		p.arrLeaves++
		if l.items == nil || l.items.always {
			p.itemsAny = true
		} else {
			p.itemSets = append(p.itemSets, l.items)
		}
		if p.minItems < 0 || l.minItems < p.minItems {
			p.minItems = l.minItems
		}
	}
	return nil
}

// objectParts builds n's properties (in name order), additional keys,
// required keys and alternatives.
func (c *compiler) objectParts(n *Node, p *nodeParts, path string) error {
	names := make([]string, 0, len(p.propSets))
	for k := range p.propSets {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		pn, err := c.node(p.propSets[k], path+"."+k)
		if err != nil {
			return err
		}
		n.propIndex[k] = len(n.Props)
		n.Props = append(n.Props, Prop{Name: k, Node: pn})
	}
	switch {
	case p.addlAny:
		n.additional = c.any
	case len(p.addlSets) > 0:
		var err error
		if n.additional, err = c.node(p.addlSets, path+".*"); err != nil {
			return err
		}
	}
	// A key is required only when every object alternative requires it.
	if p.objLeaves > 0 {
		count := map[string]int{}
		for _, rs := range p.requiredSets {
			seen := map[string]bool{}
			for _, k := range rs {
				if !seen[k] {
					seen[k] = true
					count[k]++
				}
			}
		}
		for _, k := range names {
			if count[k] == p.objLeaves {
				n.required = append(n.required, n.propIndex[k])
			}
		}
	}
	n.setAlternatives(p.objAlts)
	return nil
}

// canonical renders a schema value (enum/const) as canonical JSON.
func canonical(v any) string {
	var b []byte
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case nil:
			b = append(b, "null"...)
		case bool:
			b = strconv.AppendBool(b, x)
		case string:
			b = canon.AppendString(b, x)
		case json.Number:
			b = appendCanonicalNumber(b, string(x))
		case []any:
			b = append(b, '[')
			for i, e := range x {
				if i > 0 {
					b = append(b, ',')
				}
				walk(e)
			}
			b = append(b, ']')
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b = append(b, '{')
			for i, k := range keys {
				if i > 0 {
					b = append(b, ',')
				}
				b = canon.AppendString(b, k)
				b = append(b, ':')
				walk(x[k])
			}
			b = append(b, '}')
		}
	}
	walk(v)
	return string(b)
}

// appendCanonicalNumber writes a JSON number as the YAML→JSON converter
// does: integers exactly, other numbers in ECMAScript form.
func appendCanonicalNumber(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ".eE") {
		neg := strings.HasPrefix(s, "-")
		d := strings.TrimLeft(strings.TrimPrefix(s, "-"), "0")
		if d == "" {
			return append(b, '0')
		}
		if neg {
			b = append(b, '-')
		}
		return append(b, d...)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return append(b, s...)
	}
	return canon.AppendNumber(b, f)
}

// maxAlts bounds the object alternatives a node tracks (a bit set of 64).
const maxAlts = 64

// setAlternatives records, when a node merges several object schemas
// (oneOf/anyOf of objects), which keys each alternative allows and
// requires, so that strict decoding can hold a document to one of them:
// a GitHub job needs `runs-on` or `uses`, not merely one of the union's keys.
func (n *Node) setAlternatives(leaves []*raw) {
	if len(leaves) < 2 || len(leaves) > maxAlts {
		return
	}
	n.alts = len(leaves)
	n.allowedBy = make([]uint64, len(n.Props))
	n.altRequired = make([][]int, len(leaves))
	for a, l := range leaves {
		bit := uint64(1) << a
		if !l.addlSet || !l.addl.never || len(l.patterns) > 0 {
			n.openAlts |= bit // takes keys beyond its properties
		}
		for k := range l.props {
			n.allowedBy[n.propIndex[k]] |= bit
		}
		for _, k := range l.required {
			if i, ok := n.propIndex[k]; ok {
				n.altRequired[a] = append(n.altRequired[a], i)
			}
		}
	}
	// A known key that an open alternative would take as an other key is
	// allowed by that alternative too.
	for i := range n.allowedBy {
		n.allowedBy[i] |= n.openAlts
	}
}

// setStringPattern records the pattern a string at n must match in strict
// mode: the union of its string leaves' patterns, none when one has none.
func (n *Node) setStringPattern(pats []string, free bool) error {
	if free || len(pats) == 0 {
		return nil
	}
	sort.Strings(pats)
	re := "(?:" + pats[0] + ")"
	for i, p := range pats[1:] {
		if p != pats[i] {
			re += "|(?:" + p + ")"
		}
	}
	k, err := newKeyMatcher(re)
	if err != nil {
		return fmt.Errorf("pattern %q: %w", re, err)
	}
	n.strPattern, n.strMatch = re, k
	return nil
}
