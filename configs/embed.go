// Package configs holds the project's shipped configuration: the GitHub
// workflow JSON Schema, the default tokenizer trained on the shared corpus,
// and the pipeline and model configurations. They are embedded so that the
// binary works with no flags and no files beside it.
package configs

import _ "embed"

// WorkflowSchema is our JSON Schema of GitHub Actions workflows.
//
//go:embed workflow.schema.json
var WorkflowSchema []byte

// Tokenizer is the default tokenizer file (`make tokenizer` retrains it).
//
//go:embed tokenizer.json
var Tokenizer []byte

// Models holds the model configurations (tiny, small, medium, large).
//
//go:embed models.yaml
var Models []byte

// Pipeline is the default pipeline configuration.
//
//go:embed pipeline.yaml
var Pipeline []byte
