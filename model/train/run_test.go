package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tct-dev/tct/model"
)

// A run directory round-trips its state and log; the plot refuses an empty log.
func TestRunStateAndLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := Create(dir, State{Config: model.Config{Name: "tiny"}, Shards: "s", Tokenizer: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Error("a run without state.json opened")
	}
	r.State.Step, r.State.TokensSeen = 7, 700
	log := `{"step":1,"tokens":100,"loss":3.5}` + "\n" + `{"step":2,"tokens":200,"loss":3.1,"val_loss":3.3}` + "\ngarbage\n"
	if err := os.WriteFile(filepath.Join(dir, logName), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeState(r); err != nil {
		t.Fatal(err)
	}
	back, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.State.Step != 7 || back.State.TokensSeen != 700 || back.State.Tokenizer != "abc" || back.State.Config.Name != "tiny" {
		t.Errorf("state: %+v", back.State)
	}
	if len(back.History) != 2 || back.History[1].ValLoss != 3.3 {
		t.Errorf("log: %+v", back.History)
	}
	png := filepath.Join(dir, PlotName)
	if err := PlotLoss(png, back.History); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(png); err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Errorf("loss.png: %v", err)
	}
	if err := PlotLoss(png, nil); err == nil {
		t.Error("an empty log was plotted")
	}
	if r.InferenceDir() != r.CheckpointDir() {
		t.Error("without best/, inference should use the latest checkpoint")
	}
}

func TestHumanCount(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 999: "999", 1500: "1.5k", 2.5e6: "2.5M", 3e9: "3.0G"} {
		if got := humanCount(x); got != want {
			t.Errorf("%v: %q, want %q", x, got, want)
		}
	}
}
