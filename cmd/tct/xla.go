//go:build xla

package main

// The XLA backend (StableHLO + a PJRT plugin loaded with dlopen) for the GPU
// machine: build with `CGO_ENABLED=1 go build -tags xla -o bin/tct-xla ./cmd/tct`
// and run with GOMLX_BACKEND=xla:/abs/path/xla_cuda_plugin.so (see
// ../shared/gpu/pjrt-env.sh). Default builds are pure Go.
import _ "github.com/gomlx/go-xla/compute/xla"
