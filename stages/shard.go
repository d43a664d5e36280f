package stages

import (
	"context"
	"encoding/hex"

	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

// Split names.
const (
	SplitTrain = "train"
	SplitVal   = "val"
)

// ShardSink is the pipeline's last stage: it keeps the accounting (and the
// rejects file) like Writer, assigns each document to a split, cuts it into
// windows (with Config.Pack, packs train documents back to back) and writes
// window and docs shards; Flush writes the last packed window. It runs as
// one ordered worker, so the shards are the same bytes whatever the worker
// count upstream.
type ShardSink struct {
	Writer *Writer
	Layout tokenizer.Layout
	Config shards.Config
	Train  *shards.Roller[shards.WindowRow]
	Packed *shards.Roller[shards.PackedRow] // the train windows when Config.Pack
	Val    *shards.Roller[shards.WindowRow]
	Docs   *shards.Roller[shards.DocRow]
	Splits map[string]*shards.Counts
	packer *shards.Packer
}

func (s *ShardSink) Name() string { return "shard" }

// splitOf puts a document in train or val: by repository (forks and copies
// stay on one side) or by document.
func (s *ShardSink) splitOf(r *Record) string {
	probe := *r
	if s.Config.SplitBy == "doc" {
		probe.Repo = ""
	}
	if InHoldout(&probe, s.Config.ValFraction, s.Config.Seed) {
		return SplitVal
	}
	return SplitTrain
}

func (s *ShardSink) Process(ctx context.Context, r *Record) error {
	if err := s.Writer.Process(ctx, r); err != nil { // accounting and rejects
		return err
	}
	if r.Done() || len(r.Tokens) == 0 {
		return nil
	}
	split := s.splitOf(r)
	c := s.Splits[split]
	if c == nil {
		c = &shards.Counts{}
		s.Splits[split] = c
	}
	id := DocID(r)
	var windows int
	var err error
	if split == SplitTrain && s.Config.Pack {
		if s.packer == nil {
			s.packer = &shards.Packer{Layout: s.Layout, Context: s.Config.Context}
		}
		windows, err = s.packer.Add(id, r.Tokens, s.writePacked)
	} else {
		windows, err = s.writeWindows(split, c, id, r.Tokens)
	}
	if err != nil {
		return err
	}
	c.Documents++
	c.Tokens += int64(len(r.Tokens))
	c.BytesJSON += int64(len(r.JSON))
	return s.Docs.Write(shards.DocRow{DocID: id, Repo: r.Repo, Path: r.Path, SHA256: hex.EncodeToString(r.Sum[:]),
		Source: r.Source(), Split: split, Tokens: int32(len(r.Tokens)), BytesJSON: int32(len(r.JSON)), Windows: int32(windows)})
}

// writeWindows cuts a document into windows of its own and writes them.
func (s *ShardSink) writeWindows(split string, c *shards.Counts, id int64, tokens []int32) (int, error) {
	roller := s.Train
	if split == SplitVal {
		roller = s.Val
	}
	starts := shards.Starts(len(tokens), s.Config.Context, s.Config.Stride)
	for _, st := range starts {
		w, valid := shards.Window(s.Layout, tokens, st, len(tokens), s.Config.Context)
		if err := roller.Write(shards.WindowRow{Tokens: w, DocID: id, Start: int32(st), Valid: int32(valid)}); err != nil {
			return 0, err
		}
		c.Padding += int64(len(w) - valid)
	}
	c.Windows += int64(len(starts))
	return len(starts), nil
}

// writePacked writes a packed train window and counts it.
func (s *ShardSink) writePacked(w shards.PackedRow) error {
	c := s.Splits[SplitTrain]
	c.Windows++
	c.Padding += int64(len(w.Tokens)) - int64(w.Valid)
	return s.Packed.Write(w)
}

// Flush writes the last packed window; call it after the last record.
func (s *ShardSink) Flush() error {
	if s.packer == nil {
		return nil
	}
	return s.packer.Flush(s.writePacked)
}
