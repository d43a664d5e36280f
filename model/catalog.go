package model

import (
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Listed is a configuration with its size at a given vocabulary.
type Listed struct {
	Config
	Params int64 `json:"params"`
	FLOPs  int64 `json:"flops_per_token"`
}

// Catalog lists the configurations of a models.yaml document in file order,
// sized for a model vocabulary of vocab ids.
func Catalog(doc []byte, vocab int) ([]Listed, error) {
	var names yaml.Node
	if err := yaml.Unmarshal(doc, &names); err != nil {
		return nil, fmt.Errorf("model configs: %w", err)
	}
	if len(names.Content) == 0 {
		return nil, fmt.Errorf("model configs: empty document")
	}
	var rows []Listed
	for i := 0; i < len(names.Content[0].Content); i += 2 {
		c, err := LoadConfig(doc, names.Content[0].Content[i].Value)
		if err != nil {
			return nil, err
		}
		c.Vocab = vocab
		rows = append(rows, Listed{c, c.Params(), c.FLOPsPerToken()})
	}
	return rows, nil
}

// WriteCatalog prints the catalog as a table.
func WriteCatalog(w io.Writer, rows []Listed) error {
	fmt.Fprintf(w, "%-7s %7s %7s %6s %5s %12s %14s\n", "config", "context", "d_model", "layers", "heads", "parameters", "MFLOPs/token")
	for _, r := range rows {
		fmt.Fprintf(w, "%-7s %7d %7d %6d %5d %12d %14.1f\n", r.Name, r.Context, r.DModel, r.Layers, r.Heads, r.Params, float64(r.FLOPs)/1e6)
	}
	return nil
}
