package tokenizer

import (
	"encoding/json"
	"strconv"
)

// ExportSchema writes the typing the grammar enforces in strict mode as a
// JSON Schema (draft-07): one definition per node with its types, enum,
// properties, required keys, pattern and additional properties, items and
// minItems. An independent validator can then check what strict decoding
// produces. (anyOf alternatives of the source schema are merged into one
// node, so this typing is looser than the source schema's.)
func (g *Grammar) ExportSchema() []byte {
	defs := map[string]any{}
	for _, n := range g.nodes {
		var alts []any
		if len(n.Enum) > 0 {
			var vals []any
			for _, e := range n.Enum {
				vals = append(vals, json.RawMessage(e))
			}
			alts = append(alts, map[string]any{"enum": vals})
		}
		if s := exportFree(n); s != nil {
			alts = append(alts, s)
		}
		switch len(alts) {
		case 0:
			defs["n"+strconv.Itoa(n.id)] = false
		case 1:
			defs["n"+strconv.Itoa(n.id)] = alts[0]
		default:
			defs["n"+strconv.Itoa(n.id)] = map[string]any{"anyOf": alts}
		}
	}
	root := exportRef(g.root)
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["definitions"] = defs
	out, _ := json.MarshalIndent(root, "", " ")
	return out
}

// exportRef is the schema of node n: a reference to its definition.
func exportRef(n *Node) map[string]any {
	if n.Any {
		return map[string]any{}
	}
	return map[string]any{"$ref": "#/definitions/n" + strconv.Itoa(n.id)}
}

// exportFree is the schema of the values n takes besides its enum (nil: none).
func exportFree(n *Node) map[string]any {
	var types []string
	for _, t := range []struct {
		bit  typeSet
		name string
	}{{tObject, "object"}, {tArray, "array"}, {tString, "string"}, {tNumber, "number"}, {tInteger, "integer"}, {tBoolean, "boolean"}, {tNull, "null"}} {
		if n.Free&t.bit != 0 {
			types = append(types, t.name)
		}
	}
	if len(types) == 0 {
		return nil
	}
	s := map[string]any{"type": types}
	if n.Free&tObject != 0 {
		if n.alts == 0 {
			for k, v := range exportObject(n, -1) {
				s[k] = v
			}
		} else {
			// Non-objects pass an object-only anyOf: say "not an object, or one of these".
			var alts []any
			alts = append(alts, map[string]any{"not": map[string]any{"type": "object"}})
			for a := 0; a < n.alts; a++ {
				alts = append(alts, exportObject(n, a))
			}
			s["anyOf"] = alts
		}
	}
	if n.Free&tString != 0 && n.strPattern != "" {
		s["pattern"] = n.strPattern
	}
	if n.Free&tArray != 0 && n.items != nil {
		s["items"] = exportRef(n.items)
		if n.minItems > 0 {
			s["minItems"] = n.minItems
		}
	}
	return s
}

// exportObject is the object keywords of n's object alternative alt (-1: all).
func exportObject(n *Node, alt int) map[string]any {
	o := map[string]any{}
	props := map[string]any{}
	for i, p := range n.Props {
		if alt < 0 || n.allowedBy[i]&(1<<alt) != 0 {
			props[p.Name] = exportRef(p.Node)
		}
	}
	o["properties"] = props
	if n.minProps > 0 {
		o["minProperties"] = n.minProps
	}
	open := alt < 0 || n.openAlts&(1<<alt) != 0
	if len(n.patterns) > 0 && open {
		pats := map[string]any{}
		for _, p := range n.patterns {
			pats[p.re.String()] = exportRef(p.node)
		}
		o["patternProperties"] = pats
	}
	if n.additional == nil || !open {
		o["additionalProperties"] = false
	} else {
		o["additionalProperties"] = exportRef(n.additional)
	}
	var req []string
	seen := map[int]bool{}
	add := func(r int) {
		if !seen[r] {
			seen[r] = true
			req = append(req, n.Props[r].Name)
		}
	}
	for _, r := range n.required {
		add(r)
	}
	if alt >= 0 {
		for _, r := range n.altRequired[alt] {
			add(r)
		}
	}
	if len(req) > 0 {
		o["required"] = req
	}
	return o
}
