package stages

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/tct-dev/tct/internal/canon"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// ConvertLimits guard the converter against hostile input.
type ConvertLimits struct {
	// MaxDepth caps the nesting of mappings and sequences (aliases included).
	MaxDepth int
	// MaxExpansion caps the output at MaxExpansion × input bytes (+64 KiB),
	// which stops alias bombs ("billion laughs") long before memory is at risk.
	MaxExpansion int
}

// DefaultConvertLimits are far above anything a real workflow needs.
func DefaultConvertLimits() ConvertLimits { return ConvertLimits{MaxDepth: 100, MaxExpansion: 16} }

// YAMLToJSON converts one YAML file to canonical JSON, appending to dst.
//
// Semantics (YAML 1.2 core schema, as GitHub reads workflows):
//   - `on`, `yes`, `off` are strings; only true/false (any case form of the
//     core schema) are booleans; `3.10` is the number 3.1; `0755` is 755.
//   - anchors, aliases and `<<` merge keys are resolved; explicit keys win
//     over merged ones, and earlier merges over later ones.
//   - a mapping that repeats a key is rejected (duplicate_key); a scalar key
//     becomes the string of its source text (`1:` → "1"); a mapping or
//     sequence used as a key is rejected (complex_key).
//   - a file with more than one document is rejected (multi_document), as
//     GitHub rejects it; an empty file is rejected (empty).
//   - unknown tags (`!custom`) are ignored; standard tags (`!!str 1`) apply.
//   - a leading UTF-8 BOM is dropped; CRLF is handled by the YAML parser.
//
// Canonical JSON: compact, keys in source order, strings escaped minimally
// (only `"`, `\` and control characters), integers in plain decimal, other
// numbers in the shortest form that round-trips (ECMAScript / RFC 8785
// style: 3.0 → 3, 1e21 → 1e+21). Infinities and NaN, which JSON cannot hold,
// stay strings of their source text.
//
// The returned error is a *Reject.
func YAMLToJSON(dst, src []byte, lim ConvertLimits) ([]byte, error) {
	src = bytes.TrimPrefix(src, []byte("\xEF\xBB\xBF"))
	doc, rej := parseOne(src)
	if rej != nil {
		return dst, rej
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultConvertLimits().MaxDepth
	}
	if lim.MaxExpansion <= 0 {
		lim.MaxExpansion = DefaultConvertLimits().MaxExpansion
	}
	c := converter{buf: dst, start: len(dst), lim: lim, maxOut: len(src)*lim.MaxExpansion + 64<<10}
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return dst, &Reject{Reason: ReasonEmpty, Message: "no YAML document"}
		}
		root = root.Content[0]
	}
	if err := c.value(root, 0); err != nil {
		return dst, err
	}
	return c.buf, nil
}

// parseOne parses a file that must hold exactly one YAML document.
func parseOne(src []byte) (*yaml.Node, *Reject) {
	var doc yaml.Node
	if !hasDocumentMarker(src) {
		// Fast path: yaml.Unmarshal parses from memory without the Decoder's
		// reader, but it stops after the first document. Without marker
		// lines a second document can only follow a flow collection or a
		// scalar at the top; a block mapping or sequence runs to the end of
		// the file (anything after it is a syntax error inside it).
		if err := yaml.Unmarshal(src, &doc); err != nil {
			return nil, syntaxReject(src, err)
		}
		if doc.Kind == 0 || len(doc.Content) == 0 {
			return nil, &Reject{Reason: ReasonEmpty, Message: "no YAML document"}
		}
		if top := doc.Content[0]; top.Kind != yaml.ScalarNode && top.Style&yaml.FlowStyle == 0 {
			return &doc, nil
		}
		doc = yaml.Node{}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Reject{Reason: ReasonEmpty, Message: "no YAML document"}
		}
		return nil, syntaxReject(src, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &Reject{Reason: ReasonMultiDocument, Message: fmt.Sprintf("a second YAML document starts at line %d", extra.Line)}
	case !errors.Is(err, io.EOF):
		return nil, yamlReject(err)
	}
	return &doc, nil
}

// syntaxReject is yamlReject, except that a file that is not UTF-8 is
// rejected with the line and column of its first invalid byte.
func syntaxReject(src []byte, err error) *Reject {
	if utf8.Valid(src) {
		return yamlReject(err)
	}
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return &Reject{Reason: ReasonYAMLSyntax, Message: fmt.Sprintf("line %d, column %d: invalid UTF-8 (byte 0x%02X)", line, col, src[i])}
		}
		if r == '\n' {
			line, col = line+1, 0
		}
		col++
		i += n
	}
	return yamlReject(err)
}

func yamlReject(err error) *Reject {
	return &Reject{Reason: ReasonYAMLSyntax, Message: strings.TrimPrefix(err.Error(), "yaml: ")}
}

type converter struct {
	buf      []byte
	start    int
	lim      ConvertLimits
	maxOut   int
	aliased  bool
	active   []*yaml.Node // alias targets being expanded, to catch recursion
	keyCache []string     // scratch for duplicate-key checks
}

func (c *converter) value(n *yaml.Node, depth int) error {
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if target == nil { // the parser rejects unknown anchors; be safe anyway
			return &Reject{Reason: ReasonYAMLSyntax, Message: fmt.Sprintf("line %d: alias to an unknown anchor", n.Line)}
		}
		for _, a := range c.active {
			if a == target {
				return &Reject{Reason: ReasonYAMLSyntax, Message: fmt.Sprintf("line %d: anchor %q contains itself", n.Line, target.Anchor)}
			}
		}
		c.aliased = true
		c.active = append(c.active, target)
		err := c.value(target, depth)
		c.active = c.active[:len(c.active)-1]
		return err
	}
	if len(c.buf)-c.start > c.maxOut {
		if c.aliased {
			return &Reject{Reason: ReasonAliasLimit, Message: fmt.Sprintf("aliases expand the document past %d bytes", c.maxOut)}
		}
		return &Reject{Reason: ReasonTooLarge, Message: fmt.Sprintf("document expands past %d bytes", c.maxOut)}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		c.scalar(n)
		return nil
	case yaml.SequenceNode:
		if depth >= c.lim.MaxDepth {
			return tooDeep(n, c.lim.MaxDepth)
		}
		c.buf = append(c.buf, '[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf = append(c.buf, ',')
			}
			if err := c.value(e, depth+1); err != nil {
				return err
			}
		}
		c.buf = append(c.buf, ']')
		return nil
	case yaml.MappingNode:
		if depth >= c.lim.MaxDepth {
			return tooDeep(n, c.lim.MaxDepth)
		}
		return c.mapping(n, depth)
	case yaml.DocumentNode:
		return &Reject{Reason: ReasonYAMLSyntax, Message: "nested document"}
	}
	return &Reject{Reason: ReasonYAMLSyntax, Message: fmt.Sprintf("line %d: unexpected node kind %d", n.Line, n.Kind)}
}

func tooDeep(n *yaml.Node, limit int) *Reject {
	return &Reject{Reason: ReasonTooDeep, Message: fmt.Sprintf("line %d: nesting deeper than %d", n.Line, limit)}
}

// keyString gives a mapping key's JSON string, or a reject for a complex key.
func keyString(k *yaml.Node) (string, *Reject) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", &Reject{Reason: ReasonComplexKey, Message: fmt.Sprintf("line %d: a mapping or sequence used as a key", k.Line)}
	}
	return k.Value, nil
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" && k.Value == "<<"
}

func dupKey(k *yaml.Node, key string) *Reject {
	return &Reject{Reason: ReasonDuplicateKey, Message: fmt.Sprintf("line %d: duplicate key %q", k.Line, key)}
}

func (c *converter) mapping(n *yaml.Node, depth int) error {
	for i := 0; i < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			pairs, err := c.mergedPairs(n, depth)
			if err != nil {
				return err
			}
			c.buf = append(c.buf, '{')
			for j, p := range pairs {
				if j > 0 {
					c.buf = append(c.buf, ',')
				}
				c.buf = canon.AppendString(c.buf, p.key)
				c.buf = append(c.buf, ':')
				if err := c.value(p.val, depth+1); err != nil {
					return err
				}
			}
			c.buf = append(c.buf, '}')
			return nil
		}
	}
	// Fast path: no merge keys. Duplicate keys are found by a linear scan for
	// small mappings (nearly all of them) and a set for large ones.
	var seen map[string]struct{}
	keys := c.keyCache[:0]
	c.buf = append(c.buf, '{')
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, rej := keyString(n.Content[i])
		if rej != nil {
			return rej
		}
		if seen != nil {
			if _, dup := seen[key]; dup {
				return dupKey(n.Content[i], key)
			}
			seen[key] = struct{}{}
		} else {
			for _, k := range keys {
				if k == key {
					return dupKey(n.Content[i], key)
				}
			}
			keys = append(keys, key)
			if len(keys) > 16 {
				seen = make(map[string]struct{}, len(n.Content)/2)
				for _, k := range keys {
					seen[k] = struct{}{}
				}
			}
		}
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = canon.AppendString(c.buf, key)
		c.buf = append(c.buf, ':')
		// The scratch slice is shared with nested mappings: save and restore.
		c.keyCache = keys[len(keys):]
		if err := c.value(n.Content[i+1], depth+1); err != nil {
			return err
		}
		c.keyCache = keys
	}
	c.buf = append(c.buf, '}')
	return nil
}

type pair struct {
	key string
	val *yaml.Node
}

// mergedPairs resolves a mapping with `<<` keys into its effective key/value
// pairs: merged keys take the place of the `<<`, explicit keys anywhere in the
// mapping override them, and earlier merge sources override later ones.
func (c *converter) mergedPairs(n *yaml.Node, depth int) ([]pair, error) {
	if depth >= c.lim.MaxDepth {
		return nil, tooDeep(n, c.lim.MaxDepth)
	}
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			continue
		}
		key, rej := keyString(n.Content[i])
		if rej != nil {
			return nil, rej
		}
		if explicit[key] {
			return nil, dupKey(n.Content[i], key)
		}
		explicit[key] = true
	}
	present := map[string]bool{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMerge(k) {
			key, _ := keyString(k)
			out = append(out, pair{key, v})
			present[key] = true
			continue
		}
		if v.Kind == yaml.AliasNode {
			c.aliased = true
			v = v.Alias
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, s := range sources {
			if s.Kind == yaml.AliasNode {
				c.aliased = true
				s = s.Alias
			}
			if s == nil || s.Kind != yaml.MappingNode {
				return nil, &Reject{Reason: ReasonYAMLSyntax, Message: fmt.Sprintf("line %d: a merge key needs a mapping or a sequence of mappings", k.Line)}
			}
			sub, err := c.mergedPairs(s, depth+1)
			if err != nil {
				return nil, err
			}
			for _, p := range sub {
				if !explicit[p.key] && !present[p.key] {
					out = append(out, p)
					present[p.key] = true
				}
			}
		}
	}
	return out, nil
}

const quotedStyles = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle

func (c *converter) scalar(n *yaml.Node) {
	v := n.Value
	if n.Style&yaml.TaggedStyle != 0 {
		switch n.Tag {
		case "!!str", "!!binary", "!!timestamp":
			c.buf = canon.AppendString(c.buf, v)
			return
		case "!!int", "!!float", "!!bool", "!!null":
			// An explicit standard tag applies when the text fits it.
			if kind := resolveCore(v); tagOf(kind) == n.Tag || (n.Tag == "!!float" && kind == coreInt) {
				c.buf = appendCore(c.buf, v, kind)
				return
			}
			c.buf = canon.AppendString(c.buf, v)
			return
		}
		// Unknown tags are ignored: the node reads as if untagged.
	}
	if n.Style&quotedStyles != 0 {
		c.buf = canon.AppendString(c.buf, v)
		return
	}
	c.buf = appendCore(c.buf, v, resolveCore(v))
}

type coreKind uint8

const (
	coreStr coreKind = iota
	coreNull
	coreBool
	coreInt
	coreFloat
)

func tagOf(k coreKind) string {
	return [...]string{"!!str", "!!null", "!!bool", "!!int", "!!float"}[k]
}

// resolveCore applies the YAML 1.2 core schema to a plain scalar.
func resolveCore(s string) coreKind {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return coreNull
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return coreBool
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return coreFloat
	}
	c0 := s[0]
	if !(c0 >= '0' && c0 <= '9' || c0 == '-' || c0 == '+' || c0 == '.') {
		return coreStr // the common case: words
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x') {
		digits := s[2:]
		for i := 0; i < len(digits); i++ {
			d := digits[i]
			ok := d >= '0' && d <= '7' || s[1] == 'x' && (d >= '0' && d <= '9' || d >= 'a' && d <= 'f' || d >= 'A' && d <= 'F')
			if !ok {
				return coreStr
			}
		}
		return coreInt
	}
	// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
	i := 0
	if s[i] == '-' || s[i] == '+' {
		i++
	}
	intDigits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		intDigits++
	}
	if i == len(s) {
		if intDigits == 0 {
			return coreStr
		}
		return coreInt
	}
	fracDigits := 0
	if s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			fracDigits++
		}
	}
	if intDigits == 0 && fracDigits == 0 {
		return coreStr
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		expDigits := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			expDigits++
		}
		if expDigits == 0 {
			return coreStr
		}
	}
	if i != len(s) {
		return coreStr
	}
	return coreFloat
}

func appendCore(dst []byte, s string, k coreKind) []byte {
	switch k {
	case coreNull:
		return append(dst, "null"...)
	case coreBool:
		if s[0] == 't' || s[0] == 'T' {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case coreInt:
		return appendInt(dst, s)
	case coreFloat:
		f, err := strconv.ParseFloat(strings.TrimPrefix(strings.ToLower(s), "+"), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return canon.AppendString(dst, s)
		}
		return canon.AppendNumber(dst, f)
	}
	return canon.AppendString(dst, s)
}

// appendInt writes a core-schema integer in plain decimal, exactly (no float rounding).
func appendInt(dst []byte, s string) []byte {
	neg := false
	body := s
	switch {
	case strings.HasPrefix(s, "0x"):
		return appendBig(dst, s[2:], 16, false)
	case strings.HasPrefix(s, "0o"):
		return appendBig(dst, s[2:], 8, false)
	case s[0] == '-':
		neg, body = true, s[1:]
	case s[0] == '+':
		body = s[1:]
	}
	body = strings.TrimLeft(body, "0")
	if body == "" {
		return append(dst, '0')
	}
	if neg {
		dst = append(dst, '-')
	}
	return append(dst, body...)
}

func appendBig(dst []byte, digits string, base int, neg bool) []byte {
	if len(digits) <= 15 {
		u, _ := strconv.ParseUint(digits, base, 64)
		return strconv.AppendUint(dst, u, 10)
	}
	var b big.Int
	b.SetString(digits, base)
	if neg {
		b.Neg(&b)
	}
	return b.Append(dst, 10)
}

// hasDocumentMarker reports whether a line starts with `---` or `...` (a
// document start or end marker), the only way a stream holds two documents.
func hasDocumentMarker(src []byte) bool {
	for i := 0; i+3 <= len(src); {
		if (src[i] == '-' || src[i] == '.') && src[i+1] == src[i] && src[i+2] == src[i] {
			return true
		}
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}
