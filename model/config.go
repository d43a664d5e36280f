// Package model is the GoMLX model: a nanochat-style decoder-only
// transformer over the tokenizer's model vocabulary, and the loop that
// trains it from batches. It knows nothing of files or shards.
package model

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is a model and its training hyperparameters.
type Config struct {
	Name    string `yaml:"-" json:"name"`
	Vocab   int    `yaml:"vocab" json:"vocab"` // the tokenizer layout's ModelVocab
	Context int    `yaml:"context" json:"context"`
	DModel  int    `yaml:"d_model" json:"d_model"`
	Layers  int    `yaml:"layers" json:"layers"`
	Heads   int    `yaml:"heads" json:"heads"`
	MLPMult int    `yaml:"mlp_mult" json:"mlp_mult"`

	Batch       int     `yaml:"batch" json:"batch"`
	GradAccum   int     `yaml:"grad_accum" json:"grad_accum"`
	Steps       int     `yaml:"steps" json:"steps"`
	LR          float64 `yaml:"lr" json:"lr"`
	MinLR       float64 `yaml:"min_lr" json:"min_lr"`
	Warmup      int     `yaml:"warmup" json:"warmup"`
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	Beta1       float64 `yaml:"beta1" json:"beta1"`
	Beta2       float64 `yaml:"beta2" json:"beta2"`
	Clip        float64 `yaml:"clip" json:"clip"`
	DType       string  `yaml:"dtype" json:"dtype"` // float32 or bfloat16 (parameters and activations; AdamW and the loss stay float32)
	Seed        int64   `yaml:"seed" json:"seed"`
	EvalEvery   int     `yaml:"eval_every" json:"eval_every"`
	EvalBatches int     `yaml:"eval_batches" json:"eval_batches"`
	CkptEvery   int     `yaml:"checkpoint_every" json:"checkpoint_every"`
	Keep        int     `yaml:"keep" json:"keep"`
}

func defaults() Config {
	return Config{MLPMult: 4, GradAccum: 1, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.95, Clip: 1.0, DType: "float32",
		Seed: 1, Keep: 3}
}

// LoadConfig picks a named configuration from a models.yaml document.
func LoadConfig(doc []byte, name string) (Config, error) {
	var all map[string]yaml.Node
	if err := yaml.Unmarshal(doc, &all); err != nil {
		return Config{}, fmt.Errorf("model configs: %w", err)
	}
	node, ok := all[name]
	if !ok {
		names := make([]string, 0, len(all))
		for k := range all {
			names = append(names, k)
		}
		return Config{}, fmt.Errorf("no model config %q (have %s)", name, strings.Join(names, ", "))
	}
	c := defaults()
	if err := node.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("model config %s: %w", name, err)
	}
	c.Name = name
	return c, nil
}

// Set overrides one field by its YAML name (`--set lr=0.001`).
func (c *Config) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("--set %q: want key=value", kv)
	}
	rv := reflect.ValueOf(c).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		if strings.Split(f.Tag.Get("yaml"), ",")[0] != k {
			continue
		}
		fv := rv.Field(i)
		switch fv.Kind() {
		case reflect.Int, reflect.Int64:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("--set %s: %w", k, err)
			}
			fv.SetInt(n)
		case reflect.Float64:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("--set %s: %w", k, err)
			}
			fv.SetFloat(x)
		case reflect.String:
			fv.SetString(v)
		}
		return nil
	}
	return fmt.Errorf("--set %s: no such setting", k)
}

// Validate checks the shapes fit together.
func (c Config) Validate() error {
	switch {
	case c.Vocab <= 0 || c.Context <= 0 || c.DModel <= 0 || c.Layers <= 0 || c.Heads <= 0:
		return fmt.Errorf("model config %s: vocab, context, d_model, layers and heads must be positive", c.Name)
	case c.DModel%c.Heads != 0 || (c.DModel/c.Heads)%2 != 0:
		return fmt.Errorf("model config %s: d_model %d must split into %d heads of even size (RoPE)", c.Name, c.DModel, c.Heads)
	case c.DType != "float32" && c.DType != "bfloat16":
		return fmt.Errorf("model config %s: dtype %q: want float32 or bfloat16", c.Name, c.DType)
	case c.Batch <= 0 || c.GradAccum <= 0:
		return fmt.Errorf("model config %s: batch and grad_accum must be positive", c.Name)
	}
	return nil
}

// Params is the number of model weights: token embedding and untied output
// head (V·d each), and per layer the q, k, v, o projections (4·d²) and the
// MLP (2·mlp_mult·d²). RMSNorm has no weights (as in nanochat), nor any
// projection a bias.
func (c Config) Params() int64 {
	d, v := int64(c.DModel), int64(c.Vocab)
	return 2*v*d + int64(c.Layers)*(4*d*d+2*int64(c.MLPMult)*d*d)
}

// FLOPsPerToken is the training cost of one token: 6 per non-embedding
// weight (forward and backward) plus attention, 12·layers·d·context
// (the score and value matmuls, forward and backward, at full context).
func (c Config) FLOPsPerToken() int64 {
	d, v := int64(c.DModel), int64(c.Vocab)
	nonEmbed := c.Params() - v*d // the embedding lookup is not a matmul; the head is
	return 6*nonEmbed + 12*int64(c.Layers)*d*int64(c.Context)
}
