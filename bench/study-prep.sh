#!/usr/bin/env bash
# make study-prep: everything bench/study.sh needs on the GPU machine, built here (it has no Go toolchain and no
# ../shared): the XLA binary (gzipped), both dumps, SchemaStore's schema, the PJRT environment and one tokenizer file
# per variant, each trained on both dumps with the same 10% holdout of repositories (seed 1), which the study's
# pipeline then uses as its validation split.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
dir=study-run
mkdir -p "$dir/tok"
CGO_ENABLED=1 go build -tags xla -ldflags="-s -w" -o "$dir/tct-xla" ./cmd/tct
gzip -f "$dir/tct-xla"
CGO_ENABLED=0 go build -o "$dir/tct-cpu" ./cmd/tct
cp "$shared/gpu/pjrt-env.sh" "$shared/schemas/github-workflow.json" "$dir/"
cp "$shared/corpus/workflows.jsonl.zst" "$dir/corpus-a.jsonl.zst"
cp "$shared/corpus/extra/workflows.jsonl.zst" "$dir/corpus-b.jsonl.zst"
dumps=("$dir/corpus-a.jsonl.zst" "$dir/corpus-b.jsonl.zst")
# name: train-tokenizer flags (the default is the one-table tokenizer)
variants=(
  "bpe:--kind bpe"
  "one:"
  "one-recall:--recall 64"
  "one-lex:--lex-states 2"
  "classes:--classes 8"
  "rich:--classes 8 --lex-states 2 --overlearn 0.25 --recall 64"
)
for v in "${variants[@]}"; do
  name=${v%%:*}; flags=${v#*:}
  # shellcheck disable=SC2086
  "$dir/tct-cpu" train-tokenizer "${dumps[@]}" --vocab 8192 --holdout 0.1 --seed 1 $flags --out "$dir/tok/$name.json"
done
rm "$dir/tct-cpu"
du -sh "$dir"
