package eval

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/tct-dev/tct/internal/canon"
	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/model/sample"
	"github.com/tct-dev/tct/tokenizer"
)

// SampleStats are the validity figures of one set of samples.
type SampleStats struct {
	Samples          int                `json:"samples"`
	Complete         float64            `json:"complete"`               // share that decode completely
	ValidOurs        float64            `json:"valid_ours"`             // share valid under our schema
	ValidSchemaStore float64            `json:"valid_schemastore"`      // share valid under SchemaStore's schema (if given)
	ValidOfComplete  float64            `json:"valid_ours_of_complete"` // share of the complete samples valid under our schema
	TV               map[string]float64 `json:"tv_distance"`            // total-variation distance to the corpus, by field
	ForcedClose      float64            `json:"forced_close"`           // share closed by the grammar when the budget ran out
	ActionlintClean  float64            `json:"actionlint_clean"`       // share complete and without an actionlint error
	ActionlintErrors map[string]int     `json:"actionlint_errors"`      // actionlint errors by kind, over the complete samples
	TokensPerS       float64            `json:"tokens_per_s"`
	MsPerToken       float64            `json:"ms_per_token"`
	MaskShare        float64            `json:"mask_share"`
}

// Report is the outcome of Evaluate.
type Report struct {
	ValLoss       float64              `json:"val_loss"`
	ValBPB        float64              `json:"val_bpb"`
	ValTargets    int64                `json:"val_targets"`
	ByKind        map[string]*KindLoss `json:"by_kind"` // bits and bytes by kind of target: they add up to val_bpb
	Constrained   SampleStats          `json:"constrained"`
	Unconstrained SampleStats          `json:"unconstrained"`
	Examples      []string             `json:"examples"` // a few constrained samples as YAML
	// Ngram is the n-gram floor on the same documents (eval --ngram).
	Ngram *Floor `json:"ngram,omitempty"`
}

// Options say what to measure besides the loss.
type Options struct {
	N           int        // samples with and without constraints (0: loss only)
	MaxTokens   int        // per sample (0: sample.DefaultMaxTokens)
	Ours        *Validator // our schema
	Lint        *Linter    // actionlint (nil: not run)
	SchemaStore *Validator // SchemaStore's schema (nil: not checked)
	Corpus      [][]byte   // training documents, the reference distribution of fields
}

// Evaluate scores tr: the loss and bits per byte over every window of the
// held-out documents, by kind of target, then o.N samples with the grammar
// mask and o.N without.
func Evaluate(ctx context.Context, tr *model.Trainer, tok *tokenizer.Tokenizer, val []Doc, w Windows, o Options) (*Report, error) {
	sc, err := ScoreDocs(ctx, tr, val, w, 0)
	if err != nil {
		return nil, err
	}
	rep := &Report{ValLoss: sc.Loss, ValBPB: sc.BPB, ValTargets: sc.Targets, ByKind: sc.ByKind}
	if o.N <= 0 {
		return rep, nil
	}
	ref := FieldDistributions(o.Corpus)
	modes := []bool{true, false}
	if tok.Kind() == tokenizer.KindBPE {
		modes = []bool{false} // no grammar to constrain with
	}
	for _, constrained := range modes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g, err := sample.Generate(tr, tok, sample.Options{N: o.N, Constrained: constrained, MaxTokens: o.MaxTokens,
			Sampler: model.Sampler{Temperature: 0.8, TopK: 50, TopP: 0.95, Rng: rand.New(rand.NewPCG(1, 2))}})
		if err != nil {
			return nil, err
		}
		st, docs, err := o.stats(g, ref)
		if err != nil {
			return nil, err
		}
		if constrained {
			rep.Constrained = st
			rep.Examples = examples(docs, 3)
		} else {
			rep.Unconstrained = st
		}
	}
	return rep, nil
}

// stats scores one set of samples; it returns the complete documents too.
func (o Options) stats(g *sample.Report, ref Distributions) (SampleStats, [][]byte, error) {
	n := float64(len(g.Samples))
	st := SampleStats{Samples: len(g.Samples), MsPerToken: g.MsPerToken, MaskShare: g.MaskShare, TokensPerS: g.TokensPerS,
		TV: map[string]float64{}, ActionlintErrors: map[string]int{}}
	var docs [][]byte
	for _, s := range g.Samples {
		if !s.Complete {
			continue
		}
		docs = append(docs, s.JSON)
		st.Complete++
		if o.Ours != nil && o.Ours.Valid(s.JSON) {
			st.ValidOurs++
		}
		if o.SchemaStore != nil && o.SchemaStore.Valid(s.JSON) {
			st.ValidSchemaStore++
		}
		if s.Forced > 0 {
			st.ForcedClose++
		}
		if err := o.lint(&st, s.JSON); err != nil {
			return st, nil, err
		}
	}
	if st.Complete > 0 {
		st.ValidOfComplete = st.ValidOurs / st.Complete
	}
	if n > 0 {
		st.Complete, st.ValidOurs, st.ValidSchemaStore = st.Complete/n, st.ValidOurs/n, st.ValidSchemaStore/n
		st.ForcedClose, st.ActionlintClean = st.ForcedClose/n, st.ActionlintClean/n
	}
	gen := FieldDistributions(docs)
	for f, p := range ref {
		st.TV[f] = TVDistance(p, gen[f])
	}
	return st, docs, nil
}

// lint counts a complete sample's actionlint errors by kind.
func (o Options) lint(st *SampleStats, doc []byte) error {
	if o.Lint == nil {
		return nil
	}
	kinds, err := o.Lint.Lint(doc)
	if err != nil {
		return err
	}
	if len(kinds) == 0 {
		st.ActionlintClean++
	}
	for _, k := range kinds {
		st.ActionlintErrors[k]++
	}
	return nil
}

// examples renders the first k documents as YAML.
func examples(docs [][]byte, k int) []string {
	var out []string
	for _, d := range docs[:min(k, len(docs))] {
		var y bytes.Buffer
		if canon.WriteDoc(&y, d, "yaml") == nil {
			out = append(out, y.String())
		}
	}
	return out
}

// Markdown renders the report of the run in runDir.
func (r *Report) Markdown(runDir string) string {
	var b strings.Builder
	if r.ValTargets == 0 && r.Ngram != nil { // the floor alone
		fmt.Fprintf(&b, "The %d-gram floor (interpolated Kneser-Ney) on the validation documents: **%.4f bits per byte** of canonical JSON.\n", r.Ngram.Order, r.Ngram.BPB)
		return b.String()
	}
	fmt.Fprintf(&b, "# Evaluation of %s\n\nValidation loss %.4f nats/token, **%.4f bits per byte** of canonical JSON.\n\n", runDir, r.ValLoss, r.ValBPB)
	if f := r.Ngram; f != nil {
		fmt.Fprintf(&b, "The %d-gram floor (interpolated Kneser-Ney, same documents): %.4f bits per byte", f.Order, f.BPB)
		if r.ValBPB > 0 {
			fmt.Fprintf(&b, "; the model needs %.1f%% fewer", 100*(1-r.ValBPB/f.BPB))
		}
		b.WriteString(".\n\n")
	}
	fmt.Fprintf(&b, "| sampling | samples | complete | forced close | valid (our schema) | complete ones valid (ours) | valid (SchemaStore) | actionlint clean | TV uses | TV runs-on | TV on | tokens/s | ms/token | mask share |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, x := range []struct {
		name string
		s    SampleStats
	}{{"constrained", r.Constrained}, {"unconstrained", r.Unconstrained}} {
		s := x.s
		fmt.Fprintf(&b, "| %s | %d | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.2f | %.2f | %.2f | %.0f | %.1f | %.0f%% |\n", x.name, s.Samples,
			100*s.Complete, 100*s.ForcedClose, 100*s.ValidOurs, 100*s.ValidOfComplete, 100*s.ValidSchemaStore, 100*s.ActionlintClean,
			s.TV["uses"], s.TV["runs-on"], s.TV["on"], s.TokensPerS, s.MsPerToken, 100*s.MaskShare)
	}
	if len(r.ByKind) > 0 {
		b.WriteString(r.kindTable())
	}
	for i, e := range r.Examples {
		fmt.Fprintf(&b, "\n## Sample %d\n\n```yaml\n%s```\n", i+1, e)
	}
	return b.String()
}

// kindTable renders the loss by kind of target.
func (r *Report) kindTable() string {
	var b strings.Builder
	b.WriteString("\n| target kind | targets | share of bits | bits per target | bits per byte |\n|---|---:|---:|---:|---:|\n")
	var total float64
	for _, k := range r.ByKind {
		total += k.Bits
	}
	for _, name := range byBits(r.ByKind) {
		k := r.ByKind[name]
		bpb := 0.0
		if k.Bytes > 0 {
			bpb = k.Bits / k.Bytes
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f%% | %.3f | %.3f |\n", name, k.Targets, 100*k.Bits/total, k.Bits/float64(k.Targets), bpb)
	}
	return b.String()
}
