# tct: the two set-up commands are `make run` and `make test`.
GO      ?= go
OUT     ?= out
SHARED  ?= ../shared

.PHONY: run test build bench fuzz clean tokenizer gpu-prep study-prep interop python

# The main job on the embedded default dump (testdata/), on CPU.
run: build
	@rm -rf $(OUT) && mkdir -p $(OUT)
	./bin/tct convert testdata/dump testdata/dump.jsonl --out $(OUT)/workflows.jsonl
	./bin/tct pipeline testdata/dump testdata/dump.jsonl --out $(OUT)/shards --config configs/pipeline.yaml --context 256 --val-fraction 0.2
	./bin/tct shards inspect $(OUT)/shards
	./bin/tct train --shards $(OUT)/shards --config tiny --out $(OUT)/run --steps 10 --log-every 2

build:
	CGO_ENABLED=0 $(GO) build -o bin/tct ./cmd/tct

# The tokenizer for Python (python/tct.py): libtct, a C shared library (needs cgo and gcc),
# and tct-ref, the Go side python/test_tct.py compares with. See docs/python.md.
python:
	CGO_ENABLED=1 $(GO) build -buildmode=c-shared -ldflags="-s -w" -o python/libtct.so ./capi/libtct
	CGO_ENABLED=0 $(GO) build -o python/tct-ref ./capi/goref

# DuckDB reads the shards (npm @duckdb/node-api); needs node, npm and the npm registry.
interop:
	bash bench/interop.sh

# Retrain the shipped tokenizer on the shared corpus (deterministic: same bytes every time).
tokenizer:
	$(GO) run ./cmd/tct train-tokenizer $(SHARED)/corpus/workflows.jsonl.zst $(SHARED)/corpus/extra/workflows.jsonl.zst --vocab 8192 --holdout 0.1 --seed 1 --out configs/tokenizer.json

# The whole test suite (what CI runs).
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(GO) test -race -count=1 ./pipeline
	bash bench/interop.sh
	$(MAKE) python
	SHARED=$(SHARED) python3 python/test_tct.py

# Benchmarks side by side with the references, on the shared corpus: tables in bench/results/,
# assembled into docs/benchmarks.md (with the date, the machine and the Go version) by bench/report.sh.
bench: build
	bash bench/run.sh $(SHARED)

fuzz:
	$(GO) test ./stages -run '^$$' -fuzz FuzzYAMLToJSON -fuzztime 60s
	$(GO) test ./stages -run '^$$' -fuzz FuzzJSONLReader -fuzztime 30s
	$(GO) test ./stages -run '^$$' -fuzz FuzzTopFields -fuzztime 30s
	$(GO) test ./tokenizer -run '^$$' -fuzz FuzzRoundTrip -fuzztime 30s
	$(GO) test ./tokenizer -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s
	$(GO) test ./tokenizer -run '^$$' -fuzz '^FuzzDecodeIDs$$' -fuzztime 30s
	$(GO) test ./tokenizer -run '^$$' -fuzz '^FuzzTokenizerRoundTrip$$' -fuzztime 30s
	$(GO) test ./tokenizer -run '^$$' -fuzz '^FuzzIntList$$' -fuzztime 20s
	$(GO) test ./tokenizer -run '^$$' -fuzz '^FuzzTextRoundTrip$$' -fuzztime 20s

clean:
	rm -rf bin $(OUT) python/libtct.so python/libtct.h python/tct-ref

# Issue #15's tokenizer study on the H200 (one call per group of variants): see bench/study.sh.
study-prep:
	bash bench/study-prep.sh $(SHARED)

# Everything the H200 run needs, built here (the device has no Go toolchain): see bench/gpu.sh.
# The binary travels gzipped (stripped it is ~63 MB; a device call carries at most 64 MiB).
gpu-prep:
	mkdir -p gpu-run
	CGO_ENABLED=1 $(GO) build -tags xla -ldflags="-s -w" -o gpu-run/tct-xla ./cmd/tct
	cp $(SHARED)/gpu/pjrt-env.sh $(SHARED)/bench-ref/torch_gpt_ref.py $(SHARED)/schemas/github-workflow.json gpu-run/
	rm -rf gpu-run/shards && ./gpu-run/tct-xla pipeline $(SHARED)/corpus/workflows.jsonl.zst --out gpu-run/shards
	gzip -f gpu-run/tct-xla
