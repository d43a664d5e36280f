#!/usr/bin/env bash
# The n-gram floor of every study variant, on CPU (no GPU needed): after `make study-prep`, per tokenizer in
# study-run/tok/: the pipeline over both dumps (validation = the tokenizer's 10% held-out repositories), then
# `tct eval --ngram 6` on it. Prints a Markdown table (tokens per document, held-out tokens, the floor).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${STUDY_DIR:-study-run}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x bin/tct ] || CGO_ENABLED=0 go build -o bin/tct ./cmd/tct
echo "| tokenizer | train tokens | tokens/doc | val tokens | 6-gram floor (bits/byte) |"
echo "|---|---:|---:|---:|---:|"
for v in ${VARIANTS:-bpe one one-recall one-lex classes rich}; do
  bin/tct pipeline "$dir/corpus-a.jsonl.zst" "$dir/corpus-b.jsonl.zst" --tokenizer "$dir/tok/$v.json" \
    --val-fraction 0.1 --seed 1 --out "$work/$v" --json > "$work/$v.json" 2>/dev/null
  bin/tct eval --shards "$work/$v" --tokenizer "$dir/tok/$v.json" --ngram 6 --json > "$work/$v-ngram.json"
  python3 - "$v" "$work/$v/manifest.json" "$work/$v-ngram.json" <<'PY'
import json, sys
v, m, g = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
tr, va = m["splits"]["train"], m["splits"]["val"]
print(f"| {v} | {tr['tokens']:,} | {tr['tokens'] / tr['documents']:.0f} | {va['tokens']:,} | {g['ngram']['val_bpb']:.4f} |")
PY
  rm -rf "${work:?}/$v"
done
