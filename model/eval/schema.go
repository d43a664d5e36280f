package eval

import (
	"bytes"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Validator checks documents against a JSON Schema (an independent
// validator: it shares no code with the tokenizer's grammar).
type Validator struct {
	Name   string
	schema *jsonschema.Schema
}

// NewValidator compiles schema.
func NewValidator(name string, schema []byte) (*Validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("%s schema: %w", name, err)
	}
	url := "https://tct.invalid/" + name + ".json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("%s schema: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("%s schema: %w", name, err)
	}
	return &Validator{Name: name, schema: s}, nil
}

// Valid reports whether doc is JSON that the schema accepts.
func (v *Validator) Valid(doc []byte) bool {
	x, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	return err == nil && v.schema.Validate(x) == nil
}
