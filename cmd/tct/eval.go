package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

// sampleStats are the validity figures of one set of samples.
type sampleStats struct {
	Samples          int                `json:"samples"`
	Complete         float64            `json:"complete"`               // share that decode completely
	ValidOurs        float64            `json:"valid_ours"`             // share valid under configs/workflow.schema.json
	ValidSchemaStore float64            `json:"valid_schemastore"`      // share valid under SchemaStore's schema (if given)
	ValidOfComplete  float64            `json:"valid_ours_of_complete"` // share of the complete samples valid under our schema
	TV               map[string]float64 `json:"tv_distance"`            // total-variation distance to the corpus, by field
	MsPerToken       float64            `json:"ms_per_token"`
	MaskShare        float64            `json:"mask_share"`
}

type evalReport struct {
	ValLoss       float64     `json:"val_loss"`
	ValBPB        float64     `json:"val_bpb"`
	Constrained   sampleStats `json:"constrained"`
	Unconstrained sampleStats `json:"unconstrained"`
	Examples      []string    `json:"examples"` // a few constrained samples as YAML
}

func newEvalCmd() *cobra.Command {
	var runDir, shardDir, tokPath, backend, schemaStore, mdPath string
	var n, maxTokens int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval --checkpoint RUN_DIR --shards DIR",
		Short: "Validation loss and bits per byte, and the validity of samples with and without constraints",
		Long: `eval computes the validation loss and bits per byte over the whole validation
split, samples N workflows with and without the grammar mask, and reports the
share that decode completely, the share valid under our schema and under
SchemaStore's, and how far the generated actions (uses), runners (runs-on) and
triggers (on) are from the corpus distribution (total-variation distance,
against the training documents of the shards). --report writes a Markdown
summary with a few samples.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			tr, tok, err := loadRun(runDir, tokPath, backend)
			if err != nil {
				return err
			}
			defer tr.Close()
			man, err := shards.ReadManifest(shardDir)
			if err != nil {
				return err
			}
			if man.Tokenizer != tok.Fingerprint {
				return fmt.Errorf("the shards in %s were made with tokenizer %s, the run with %s", shardDir, man.Tokenizer, tok.Fingerprint)
			}
			rep := &evalReport{}
			bpt, err := docBytesPerToken(shardDir, man)
			if err != nil {
				return err
			}
			c := tr.Cfg
			c.EvalBatches = 0 // the whole split
			if rep.ValLoss, rep.ValBPB, err = evaluate(cmd.Context(), tr, shardDir, man, &c, bpt); err != nil {
				return err
			}
			validators := map[string]*jsonschema.Schema{}
			if validators["ours"], err = compileJSONSchema("ours", configs.WorkflowSchema); err != nil {
				return err
			}
			if schemaStore != "" {
				b, err := os.ReadFile(schemaStore)
				if err != nil {
					return err
				}
				if validators["schemastore"], err = compileJSONSchema("schemastore", b); err != nil {
					return err
				}
			}
			corpus, err := shardDocuments(shardDir, man, tok, "train")
			if err != nil {
				return err
			}
			ref := fieldDistributions(corpus)
			modes := []bool{true, false}
			if n <= 0 {
				modes = nil // -n 0: loss and bits per byte only
			}
			for _, constrained := range modes {
				g, err := generate(tr, tok, genOptions{N: n, Constrained: constrained, MaxTokens: maxTokens,
					Sampler: model.Sampler{Temperature: 0.8, TopK: 50, TopP: 0.95, Rng: rand.New(rand.NewPCG(1, 2))}})
				if err != nil {
					return err
				}
				st := sampleStats{Samples: n, MsPerToken: g.MsPerToken, MaskShare: g.MaskShare, TV: map[string]float64{}}
				var docs [][]byte
				for _, s := range g.Samples {
					if !s.Complete {
						continue
					}
					docs = append(docs, s.JSON)
					st.Complete++
					if validates(validators["ours"], s.JSON) {
						st.ValidOurs++
					}
					if v := validators["schemastore"]; v != nil && validates(v, s.JSON) {
						st.ValidSchemaStore++
					}
					if constrained && len(rep.Examples) < 3 {
						var y bytes.Buffer
						if err := writeDoc(&y, s.JSON, "yaml"); err == nil {
							rep.Examples = append(rep.Examples, y.String())
						}
					}
				}
				if st.Complete > 0 {
					st.ValidOfComplete = st.ValidOurs / st.Complete
				}
				st.Complete /= float64(n)
				st.ValidOurs /= float64(n)
				st.ValidSchemaStore /= float64(n)
				gen := fieldDistributions(docs)
				for f, p := range ref {
					st.TV[f] = tvDistance(p, gen[f])
				}
				if constrained {
					rep.Constrained = st
				} else {
					rep.Unconstrained = st
				}
			}
			if mdPath != "" {
				if err := os.WriteFile(mdPath, []byte(evalMarkdown(rep, runDir)), 0o644); err != nil {
					return err
				}
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			fmt.Fprint(cmd.OutOrStdout(), evalMarkdown(rep, runDir))
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&runDir, "checkpoint", "", "run directory of tct train")
	fs.StringVar(&shardDir, "shards", "", "shard directory (validation split and the corpus distribution)")
	fs.IntVarP(&n, "n", "n", 16, "samples with and without constraints (0: loss and bits per byte only)")
	fs.IntVar(&maxTokens, "max-tokens", 0, "stop a sample after this many ids (default: the context)")
	fs.StringVar(&schemaStore, "schemastore", "", "SchemaStore's github-workflow.json, to validate against it too")
	fs.StringVar(&mdPath, "report", "", "write a Markdown summary here")
	fs.StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.StringVar(&backend, "backend", "", "GoMLX backend")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func compileJSONSchema(name string, schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("%s schema: %w", name, err)
	}
	url := "https://tct.invalid/" + name + ".json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("%s schema: %w", name, err)
	}
	return c.Compile(url)
}

func validates(s *jsonschema.Schema, doc []byte) bool {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	return err == nil && s.Validate(v) == nil
}

// shardDocuments rebuilds the documents of a split from their windows and
// decodes them back to canonical JSON.
func shardDocuments(dir string, man *shards.Manifest, tok *tokenizer.Tokenizer, split string) ([][]byte, error) {
	docs, err := shards.ReadDocs(dir, man)
	if err != nil {
		return nil, err
	}
	lengths := map[int64]int32{}
	for _, d := range docs {
		if d.Split == split {
			lengths[d.DocID] = d.Tokens
		}
	}
	toks := map[int64][]int32{}
	for _, s := range man.Shards {
		if s.Kind != "windows" || s.Split != split {
			continue
		}
		rows, err := shards.ReadRows[shards.WindowRow](filepath.Join(dir, s.Name), 0)
		if err != nil {
			return nil, err
		}
		for _, w := range rows {
			t := toks[w.DocID]
			if t == nil {
				t = make([]int32, lengths[w.DocID])
				toks[w.DocID] = t
			}
			copy(t[w.Start:], w.Tokens[1:w.Valid])
		}
	}
	ids := make([]int64, 0, len(toks))
	for id := range toks {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out [][]byte
	for _, id := range ids {
		if doc, _, err := tok.Decode(toks[id]); err == nil {
			out = append(out, doc)
		}
	}
	return out, nil
}

// fieldDistributions counts actions (steps[].uses without the version),
// runners (runs-on strings) and triggers (the events of `on`).
func fieldDistributions(docs [][]byte) map[string]map[string]float64 {
	out := map[string]map[string]float64{"uses": {}, "runs-on": {}, "on": {}}
	for _, d := range docs {
		var w map[string]any
		if json.Unmarshal(d, &w) != nil {
			continue
		}
		switch on := w["on"].(type) {
		case string:
			out["on"][on]++
		case []any:
			for _, e := range on {
				if s, ok := e.(string); ok {
					out["on"][s]++
				}
			}
		case map[string]any:
			for e := range on {
				out["on"][e]++
			}
		}
		jobs, _ := w["jobs"].(map[string]any)
		for _, j := range jobs {
			job, _ := j.(map[string]any)
			if r, ok := job["runs-on"].(string); ok {
				out["runs-on"][r]++
			}
			steps, _ := job["steps"].([]any)
			for _, s := range steps {
				step, _ := s.(map[string]any)
				if u, ok := step["uses"].(string); ok {
					action, _, _ := strings.Cut(u, "@")
					out["uses"][action]++
				}
			}
		}
	}
	return out
}

// tvDistance is half the L1 distance between two normalised histograms
// (1 when the generated side is empty).
func tvDistance(p, q map[string]float64) float64 {
	var sp, sq float64
	for _, v := range p {
		sp += v
	}
	for _, v := range q {
		sq += v
	}
	if sp == 0 || sq == 0 {
		return 1
	}
	keys := map[string]bool{}
	for k := range p {
		keys[k] = true
	}
	for k := range q {
		keys[k] = true
	}
	var d float64
	for k := range keys {
		d += math.Abs(p[k]/sp - q[k]/sq)
	}
	return d / 2
}

func evalMarkdown(r *evalReport, run string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Evaluation of %s\n\nValidation loss %.4f nats/token, **%.4f bits per byte** of canonical JSON.\n\n", run, r.ValLoss, r.ValBPB)
	fmt.Fprintf(&b, "| sampling | samples | complete | valid (our schema) | complete ones valid (ours) | valid (SchemaStore) | TV uses | TV runs-on | TV on | ms/token | mask share |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, x := range []struct {
		name string
		s    sampleStats
	}{{"constrained", r.Constrained}, {"unconstrained", r.Unconstrained}} {
		s := x.s
		fmt.Fprintf(&b, "| %s | %d | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.2f | %.2f | %.2f | %.1f | %.0f%% |\n", x.name, s.Samples, 100*s.Complete,
			100*s.ValidOurs, 100*s.ValidOfComplete, 100*s.ValidSchemaStore, s.TV["uses"], s.TV["runs-on"], s.TV["on"], s.MsPerToken, 100*s.MaskShare)
	}
	for i, e := range r.Examples {
		fmt.Fprintf(&b, "\n## Sample %d\n\n```yaml\n%s```\n", i+1, e)
	}
	return b.String()
}
