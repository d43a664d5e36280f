package model

import "testing"

func TestBatchPadded(t *testing.T) {
	b := &Batch{B: 1, C: 2, Inputs: []int32{5, 6}, Targets: []int32{6, 7}, Mask: []float32{1, 1}, Tokens: 2, TargetBytes: 9}
	p := b.Padded(3)
	if p.B != 3 || len(p.Inputs) != 6 || len(p.Targets) != 6 || len(p.Mask) != 6 {
		t.Fatalf("padded: %+v", p)
	}
	var mask float32
	for _, m := range p.Mask {
		mask += m
	}
	if mask != 2 || p.Tokens != 2 || p.TargetBytes != 9 || p.Inputs[0] != 5 {
		t.Errorf("padding changed what is scored: %+v", p)
	}
	if b.B != 1 || len(b.Inputs) != 2 {
		t.Errorf("the original batch changed: %+v", b)
	}
	if b.Padded(1) != b {
		t.Error("a full batch was copied")
	}
	b.Segments = []int32{1, 2}
	if p := b.Padded(2); len(p.Segments) != 4 || p.Segments[1] != 2 || p.Segments[3] != 0 {
		t.Errorf("segment ids of a padded packed batch: %v", p.Segments)
	}
}
