package eval

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// window cuts like the pipeline: non-overlapping windows, the last one padded.
func testWindows(l tokenizer.Layout, ctx int) Windows {
	return Windows{Layout: l, Context: ctx, Stride: ctx,
		Cut: func(n, ctx, stride int) []int {
			var out []int
			for s := 0; s < n; s += stride {
				out = append(out, s)
			}
			return out
		},
		Window: func(l tokenizer.Layout, tokens []int32, start, end, ctx int) ([]int32, int) {
			w := make([]int32, ctx+1)
			w[0] = l.Position(start)
			n := copy(w[1:], tokens[start:min(end, start+ctx)])
			for i := 1 + n; i < len(w); i++ {
				w[i] = int32(l.PAD)
			}
			return w, 1 + n
		}}
}

// sliceBatches replays batches and then io.EOF.
type sliceBatches struct{ bs []*model.Batch }

func (s *sliceBatches) Next(context.Context) (*model.Batch, error) {
	if len(s.bs) == 0 {
		return nil, io.EOF
	}
	b := s.bs[0]
	s.bs = s.bs[1:]
	return b, nil
}

// ScoreDocs on an untrained tiny model and real workflows: the loss by kind
// adds up, a partial pass says so, and Loss over the same windows with their
// exact bytes gives the same figures.
func TestScoreDocs(t *testing.T) {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.LoadConfig(configs.Models, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	c.Vocab = tok.Layout.ModelVocab
	tr, err := model.NewTrainer(c, model.DefaultBackend, "")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	paths, _ := filepath.Glob("../../testdata/dump/*/*/.github/workflows/*.y*ml")
	var docs []Doc
	for _, p := range paths {
		src, _ := os.ReadFile(p)
		doc, err := stages.YAMLToJSON(nil, src, stages.DefaultConvertLimits())
		if err != nil {
			continue
		}
		ids, _, err := tok.NewEncoder().Encode(nil, doc)
		if err != nil {
			continue
		}
		d, err := NewDoc(tok, ids)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	if len(docs) < 3 {
		t.Fatalf("%d documents from %d files", len(docs), len(paths))
	}
	w := testWindows(tok.Layout, c.Context)
	full, err := ScoreDocs(context.Background(), tr, docs, w, 0)
	if err != nil {
		t.Fatal(err)
	}
	var bits, bytes float64
	var n int64
	for _, k := range full.ByKind {
		bits, bytes, n = bits+k.Bits, bytes+k.Bytes, n+k.Targets
	}
	var want int64
	var docBytes float64
	for _, d := range docs {
		want += int64(len(d.IDs))
		for _, b := range d.Bytes {
			docBytes += float64(b)
		}
	}
	if full.Partial || n != want || full.Targets != want || bytes != docBytes || math.Abs(bits/bytes-full.BPB) > 1e-12 {
		t.Errorf("full pass: %+v; %d targets of %d, %v bytes of %v", full, n, want, bytes, docBytes)
	}
	part, err := ScoreDocs(context.Background(), tr, docs, w, c.Batch)
	if err != nil {
		t.Fatal(err)
	}
	if !part.Partial || part.Windows != c.Batch || part.Targets >= full.Targets {
		t.Errorf("partial pass: %+v", part)
	}
	// The same windows as plain batches with exact bytes: Loss agrees.
	var bs []*model.Batch
	var spans []span
	for i, d := range docs {
		for _, st := range w.Cut(len(d.IDs), w.Context, w.Stride) {
			spans = append(spans, span{i, st})
		}
	}
	for at := 0; at < len(spans); at += c.Batch {
		b := batchOf(docs, w, spans[at:min(at+c.Batch, len(spans))])
		bs = append(bs, b)
	}
	loss, bpb, err := Loss(context.Background(), tr, &sliceBatches{bs}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(loss-full.Loss) > 1e-4 || math.Abs(bpb-full.BPB) > 1e-4 {
		t.Errorf("Loss %v / %v bits per byte, ScoreDocs %v / %v", loss, bpb, full.Loss, full.BPB)
	}
}

// batchOf builds the batch of some windows with their exact target bytes.
func batchOf(docs []Doc, w Windows, spans []span) *model.Batch {
	c := w.Context
	b := &model.Batch{B: len(spans), C: c}
	for _, sp := range spans {
		d := docs[sp.doc]
		win, valid := w.Window(w.Layout, d.IDs, sp.start, len(d.IDs), c)
		b.Inputs, b.Targets = append(b.Inputs, win[:c]...), append(b.Targets, win[1:]...)
		for j := 0; j < c; j++ {
			m := float32(0)
			if j < valid-1 {
				m = 1
				b.Tokens++
				b.TargetBytes += float64(d.Bytes[sp.start+j])
			}
			b.Mask = append(b.Mask, m)
		}
	}
	return b
}
