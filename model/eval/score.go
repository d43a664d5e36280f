package eval

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/tokenizer"
)

// Doc is a held-out document as the model sees it: its ids and, for each id,
// the bytes of canonical JSON it stands for and its kind (tokenizer.Annotate).
type Doc struct {
	IDs   []int32
	Bytes []int32
	Kinds []string
}

// NewDoc annotates the ids of one document.
func NewDoc(tok *tokenizer.Tokenizer, ids []int32) (Doc, error) {
	ann, err := tok.Annotate(ids)
	if err != nil {
		return Doc{}, err
	}
	d := Doc{IDs: ids, Bytes: make([]int32, len(ann)), Kinds: make([]string, len(ann))}
	for i, a := range ann {
		d.Bytes[i], d.Kinds[i] = int32(a.Bytes), a.KindName()
	}
	return d, nil
}

// KindLoss is the loss of the targets of one kind.
type KindLoss struct {
	Targets int64   `json:"targets"`
	Bits    float64 `json:"bits"`
	Bytes   float64 `json:"bytes"` // of canonical JSON the targets stand for
}

// Score is a validation pass: every window of every document, or the first
// MaxWindows of them (Partial).
type Score struct {
	Loss    float64              `json:"val_loss"` // nats per target
	BPB     float64              `json:"val_bpb"`  // bits over the bytes the scored targets stand for
	Targets int64                `json:"targets"`
	Windows int                  `json:"windows"`
	Partial bool                 `json:"partial"` // not every window of the split was scored
	ByKind  map[string]*KindLoss `json:"by_kind"`
}

// Windows says how documents are cut: as the pipeline cuts them.
type Windows struct {
	Layout          tokenizer.Layout
	Context, Stride int
	// Cut returns the starts of a document's windows (shards.Starts) and
	// Window one window with its valid length (shards.Window).
	Cut    func(n, ctx, stride int) []int
	Window func(l tokenizer.Layout, tokens []int32, start, end, ctx int) ([]int32, int)
}

// span is one window of one document.
type span struct{ doc, start int }

// ScoreDocs runs the model over the windows of docs (at most maxWindows; 0:
// all) and sums the loss by target kind, with exact bytes per target.
func ScoreDocs(ctx context.Context, tr *model.Trainer, docs []Doc, w Windows, maxWindows int) (*Score, error) {
	if w.Context != tr.Cfg.Context {
		return nil, fmt.Errorf("windows of %d tokens, the model's context is %d", w.Context, tr.Cfg.Context)
	}
	var spans []span
	for i, d := range docs {
		for _, st := range w.Cut(len(d.IDs), w.Context, w.Stride) {
			spans = append(spans, span{i, st})
		}
	}
	s := &Score{ByKind: map[string]*KindLoss{}}
	if maxWindows > 0 && len(spans) > maxWindows {
		spans, s.Partial = spans[:maxWindows], true
	}
	rows := tr.Cfg.Batch
	for at := 0; at < len(spans); at += rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.batch(tr, docs, w, spans[at:min(at+rows, len(spans))]); err != nil {
			return nil, err
		}
	}
	return s, s.finish()
}

// batch scores one batch of windows.
func (s *Score) batch(tr *model.Trainer, docs []Doc, w Windows, spans []span) error {
	c := w.Context
	b := &model.Batch{B: len(spans), C: c}
	for _, sp := range spans {
		win, valid := w.Window(w.Layout, docs[sp.doc].IDs, sp.start, len(docs[sp.doc].IDs), c)
		b.Inputs = append(b.Inputs, win[:c]...)
		b.Targets = append(b.Targets, win[1:]...)
		for j := 0; j < c; j++ {
			b.Mask = append(b.Mask, float32(min(max(valid-1-j, 0), 1)))
		}
	}
	nll, err := tr.EvalTargets(b.Padded(tr.Cfg.Batch))
	if err != nil {
		return err
	}
	for r, sp := range spans {
		d := docs[sp.doc]
		for j := 0; j < c && sp.start+j < len(d.IDs) && b.Mask[r*c+j] > 0; j++ {
			i := sp.start + j
			k := s.ByKind[d.Kinds[i]]
			if k == nil {
				k = &KindLoss{}
				s.ByKind[d.Kinds[i]] = k
			}
			k.Targets++
			k.Bits += float64(nll[r*c+j]) / math.Ln2
			k.Bytes += float64(d.Bytes[i])
		}
	}
	s.Windows += len(spans)
	return nil
}

// finish turns the sums into the loss per target and bits per byte.
func (s *Score) finish() error {
	var bits, bytes float64
	for _, k := range s.ByKind {
		s.Targets += k.Targets
		bits += k.Bits
		bytes += k.Bytes
	}
	if s.Targets == 0 || bytes == 0 {
		return fmt.Errorf("no validation targets")
	}
	s.Loss = bits * math.Ln2 / float64(s.Targets)
	s.BPB = bits / bytes
	return nil
}

// byBits lists the kinds of a loss by kind, most bits first.
func byBits(kinds map[string]*KindLoss) []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return kinds[out[i]].Bits > kinds[out[j]].Bits })
	return out
}
