package canon

import (
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// WriteDoc prints a canonical JSON document as "json" (one line) or as
// "yaml" in block style with the same key order.
func WriteDoc(w io.Writer, doc []byte, format string) error {
	switch format {
	case "json":
		_, err := fmt.Fprintf(w, "%s\n", doc)
		return err
	case "yaml":
		var n yaml.Node
		if err := yaml.Unmarshal(doc, &n); err != nil { // JSON is YAML: key order is kept
			return err
		}
		clearStyle(&n)
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(&n); err != nil {
			return err
		}
		return enc.Close()
	}
	return fmt.Errorf("format %q: want yaml or json", format)
}

// clearStyle drops the flow style JSON input gives, so YAML comes out in block style.
func clearStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		n.Style &^= yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		clearStyle(c)
	}
}
