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
	ref := func(n *Node) map[string]any {
		if n.Any {
			return map[string]any{}
		}
		return map[string]any{"$ref": "#/definitions/n" + strconv.Itoa(n.id)}
	}
	for _, n := range g.nodes {
		var alts []any
		if len(n.Enum) > 0 {
			var vals []any
			for _, e := range n.Enum {
				vals = append(vals, json.RawMessage(e))
			}
			alts = append(alts, map[string]any{"enum": vals})
		}
		var types []string
		for _, t := range []struct {
			bit  typeSet
			name string
		}{{tObject, "object"}, {tArray, "array"}, {tString, "string"}, {tNumber, "number"}, {tInteger, "integer"}, {tBoolean, "boolean"}, {tNull, "null"}} {
			if n.Free&t.bit != 0 {
				types = append(types, t.name)
			}
		}
		if len(types) > 0 {
			s := map[string]any{"type": types}
			if n.Free&tObject != 0 {
				props := map[string]any{}
				for _, p := range n.Props {
					props[p.Name] = ref(p.Node)
				}
				s["properties"] = props
				if len(n.patterns) > 0 {
					pats := map[string]any{}
					for _, p := range n.patterns {
						pats[p.re.String()] = ref(p.node)
					}
					s["patternProperties"] = pats
				}
				if n.additional == nil {
					s["additionalProperties"] = false
				} else {
					s["additionalProperties"] = ref(n.additional)
				}
				var req []string
				for _, r := range n.required {
					req = append(req, n.Props[r].Name)
				}
				if len(req) > 0 {
					s["required"] = req
				}
			}
			if n.Free&tArray != 0 && n.items != nil {
				s["items"] = ref(n.items)
				if n.minItems > 0 {
					s["minItems"] = n.minItems
				}
			}
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
	root := ref(g.root)
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["definitions"] = defs
	out, _ := json.MarshalIndent(root, "", " ")
	return out
}
