package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tct-dev/tct/model"
	"github.com/tct-dev/tct/model/eval"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

// loaderBatches feeds the model from the Arrow loader of a shard set.
type loaderBatches struct {
	l *shards.Loader
	// bpt maps a document to the bytes of canonical JSON per token (nil:
	// TargetBytes stays 0, as training does not need it).
	bpt map[int64]float64
}

func (s *loaderBatches) Next(ctx context.Context) (*model.Batch, error) {
	b, err := s.l.Next(ctx)
	if err != nil {
		return nil, err
	}
	mb := &model.Batch{B: b.B, C: b.C, Inputs: b.Inputs, Targets: b.Targets, Mask: b.Mask, Segments: b.Segments, Tokens: b.Tokens}
	if s.bpt != nil { // validation: one document per window
		for r := 0; r < b.B; r++ {
			var valid float64
			for _, m := range b.Mask[r*b.C : (r+1)*b.C] {
				valid += float64(m)
			}
			mb.TargetBytes += valid * s.bpt[b.DocIDs[r]]
		}
	}
	return mb, nil
}

// State is the loader's position, for an exact resume.
func (s *loaderBatches) State() (json.RawMessage, error) { return json.Marshal(s.l.State()) }

// docBytesPerToken maps each document to the bytes of canonical JSON per
// token, from the docs table (windows count bytes by their targets).
func docBytesPerToken(dir string, man *shards.Manifest) (map[int64]float64, error) {
	docs, err := shards.ReadDocs(dir, man)
	if err != nil {
		return nil, err
	}
	out := map[int64]float64{}
	for _, d := range docs {
		if d.Tokens > 0 {
			out[d.DocID] = float64(d.BytesJSON) / float64(d.Tokens)
		}
	}
	return out, nil
}

// valBatches opens one deterministic pass over the validation split.
func valBatches(dir string, man *shards.Manifest, batch int, bpt map[int64]float64) (*loaderBatches, error) {
	l, err := shards.OpenLoader(dir, shards.LoaderOptions{Split: "val", BatchSize: batch, Tokenizer: man.Tokenizer, Layout: &man.Layout,
		AllowIncomplete: !man.Complete}) // man was read as allowed
	if err != nil {
		return nil, err
	}
	return &loaderBatches{l: l, bpt: bpt}, nil
}

// valDocs reads the validation documents of a shard set and annotates their
// ids (bytes and kind of every target).
func valDocs(dir string, man *shards.Manifest, tok *tokenizer.Tokenizer) ([]eval.Doc, error) {
	if man.Tokenizer != tok.Fingerprint {
		return nil, fmt.Errorf("the shards in %s were made with tokenizer %s, not %s", dir, man.Tokenizer, tok.Fingerprint)
	}
	ids, err := shards.ReadDocTokens(dir, man, "val")
	if err != nil {
		return nil, err
	}
	docs := make([]eval.Doc, len(ids))
	for i, d := range ids {
		if docs[i], err = eval.NewDoc(tok, d); err != nil {
			return nil, fmt.Errorf("%s: validation document %d: %w", dir, i, err)
		}
	}
	return docs, nil
}

// windowsOf says how the pipeline cut the windows of a shard set.
func windowsOf(man *shards.Manifest) eval.Windows {
	return eval.Windows{Layout: man.Layout, Context: man.Config.Context, Stride: man.Config.Stride, Cut: shards.Starts, Window: shards.Window}
}
