// Package train fits a model.Trainer to a stream of batches: the training
// loop, its run directory (state, log, checkpoints, the best checkpoint) and
// the loss plot. It reads batches, never shard files.
package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tct-dev/tct/internal/atomicfile"
	"github.com/tct-dev/tct/model"
)

// State is RUN_DIR/state.json: what a resumed run needs beside the GoMLX
// checkpoint (weights, AdamW state, global step).
type State struct {
	Config     model.Config    `json:"config"`
	Step       int64           `json:"step"`
	Loader     json.RawMessage `json:"loader"`    // where the batch source stood
	Shards     string          `json:"shards"`    // the data the run trains on
	Tokenizer  string          `json:"tokenizer"` // the tokenizer's fingerprint
	BestVal    float64         `json:"best_val_loss"`
	TokensSeen int64           `json:"tokens_seen"`
}

// Line is one line of RUN_DIR/log.jsonl.
type Line struct {
	Step       int64   `json:"step"`
	Tokens     int64   `json:"tokens"`
	Loss       float64 `json:"loss,omitempty"`
	LR         float64 `json:"lr,omitempty"`
	GradNorm   float64 `json:"grad_norm,omitempty"`
	TokensPerS float64 `json:"tokens_per_s,omitempty"`
	DataWait   float64 `json:"data_wait,omitempty"` // share of step time spent waiting for batches
	ValLoss    float64 `json:"val_loss,omitempty"`
	ValBPB     float64 `json:"val_bpb,omitempty"`
	ValPartial bool    `json:"val_partial,omitempty"` // validation scored part of the split (eval_batches)
}

// Run is a run directory: state.json, log.jsonl, checkpoints/, best/, loss.png.
type Run struct {
	Dir   string
	State State
	// History holds the log lines of this run so far (read back on resume).
	History []Line
}

const (
	stateName = "state.json"
	logName   = "log.jsonl"
	// PlotName is the loss plot Fit writes at the end of a run.
	PlotName = "loss.png"
)

// Create starts a run in dir.
func Create(dir string, st State) (*Run, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &Run{Dir: dir, State: st}, nil
}

// Open reads the run in dir (its state and its log so far).
func Open(dir string) (*Run, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateName))
	if err != nil {
		return nil, fmt.Errorf("%s: not a training run (%w)", dir, err)
	}
	r := &Run{Dir: dir}
	if err := json.Unmarshal(b, &r.State); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stateName), err)
	}
	if r.History, err = ReadLog(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return r, nil
}

// ReadLog reads RUN_DIR/log.jsonl (up to its first unreadable line).
func ReadLog(dir string) ([]Line, error) {
	b, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		return nil, err
	}
	var out []Line
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var l Line
		if dec.Decode(&l) != nil {
			return out, nil
		}
		out = append(out, l)
	}
}

// CheckpointDir holds the last checkpoints of the run.
func (r *Run) CheckpointDir() string { return filepath.Join(r.Dir, "checkpoints") }

// BestDir holds the checkpoint with the lowest validation loss.
func (r *Run) BestDir() string { return filepath.Join(r.Dir, "best") }

// InferenceDir is the checkpoint to sample from: the best, else the latest.
func (r *Run) InferenceDir() string {
	if _, err := os.Stat(r.BestDir()); err == nil {
		return r.BestDir()
	}
	return r.CheckpointDir()
}

// NewTrainer builds the run's model on a backend from its latest checkpoint
// (fresh weights when there is none yet).
func (r *Run) NewTrainer(backend string) (*model.Trainer, error) {
	return model.NewTrainer(r.State.Config, backend, r.CheckpointDir())
}

// LoadForInference builds the run's model from its best checkpoint.
func (r *Run) LoadForInference(backend string) (*model.Trainer, error) {
	return model.NewTrainer(r.State.Config, backend, r.InferenceDir())
}

// save writes the checkpoint, then state.json (so the two always agree), and
// copies a new best checkpoint to best/.
func (r *Run) save(tr *model.Trainer, valLoss float64) error {
	if err := tr.Save(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if valLoss > 0 && (r.State.BestVal == 0 || valLoss < r.State.BestVal) { // 0: no validation yet
		r.State.BestVal = valLoss
		if err := copyLatestCheckpoint(r.CheckpointDir(), r.BestDir()); err != nil {
			return err
		}
	}
	return writeState(r)
}

func writeState(r *Run) error { return atomicfile.WriteJSON(filepath.Join(r.Dir, stateName), r.State) }

// copyLatestCheckpoint copies the newest GoMLX checkpoint (its .json and
// .bin) from src into dst, replacing what dst held.
func copyLatestCheckpoint(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "checkpoint-") && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, strings.TrimSuffix(e.Name(), ".json"))
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no checkpoint in %s", src)
	}
	sort.Strings(names) // names carry a counter: the last is the newest
	latest := names[len(names)-1]
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, ext := range []string{".json", ".bin"} {
		b, err := os.ReadFile(filepath.Join(src, latest+ext))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, latest+ext), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
