#!/usr/bin/env bash
# The last step of make bench: assemble docs/benchmarks.md from the Markdown tables that bench/run.sh
# wrote into its results folder, under a header naming the date, the machine and the Go version.
# Usage: bench/report.sh [RESULTS_DIR] [OUT_FILE] [CORPUS]
#   (defaults: bench/results and docs/benchmarks.md of this repository; CORPUS is the file bench/run.sh measured)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
res=${1:-$root/bench/results}
out=${2:-$root/docs/benchmarks.md}
corpus=${3:-../shared/corpus/workflows.jsonl.zst}
tmp="$out.tmp"
mkdir -p "$(dirname "$out")"

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit (with local changes)"; fi

section() { # title file text
  printf '\n## %s\n\n%s\n\n' "$1" "$3"
  if [ -s "$res/$2" ]; then cat "$res/$2"; else echo "(not measured in this run: $res/$2 is missing)"; fi
}

{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` (bench/run.sh, then bench/report.sh); do not edit by hand: the next run overwrites it."
  echo "Every benchmark runs beside its reference in the same run, on the corpus \`$corpus\` (the shared corpus:"
  echo "29.4 MB of YAML, 8,464 files). What the figures mean for the design is discussed in"
  echo "[architecture.md](architecture.md) and [tokenizer.md](tokenizer.md)."
  echo
  echo "| measured | machine | Go | commit |"
  echo "|---|---|---|---|"
  echo "| $(date -u +%Y-%m-%d) | $(nproc) cores, ${cpu:-CPU model unknown} | $(go env GOVERSION 2>/dev/null || echo unknown) | $commit |"
  section "YAML to canonical JSON" convert.md \
"MB/s of YAML input over the whole corpus (every record converted). The references are PyYAML (pure Python and
libyaml) and yaml.v3 decoding into \`any\`; parsing into \`yaml.Node\` alone is the floor the converter builds on."
  section "Tokenizer: compression and speed" tokenize.md \
"Token counts against o200k_base (tiktoken-go, id for id with tiktoken) on the repositories the tokenizer never saw
and on the whole corpus, with every document's round trip checked; then encoding and decoding speed beside tiktoken-go
and npm tiktoken, one core unless marked. The native Python tiktoken row is a fixed reference measured once elsewhere."
  section "Tokenizer variants" ablate.md \
"What each part of the tokenizer buys: the same corpus and holdout, one \`tct train-tokenizer\` per row (its flags in
the row), held-out tokens against o200k_base, training time and peak memory."
  section "Holdout splits" splits.md \
"How much the held-out figure depends on which repositories are held out: five splits (10% of repositories each,
seeds 1-5), each tokenizer trained without its own held-out repositories."
  section "Pipeline" pipeline.md \
"\`tct pipeline\` from the dump to Parquet shards beside \`tct convert\` alone on the same input, and on a dump ten
times the corpus to show that memory is bounded by the configuration, not the dump."
  section "Arrow loader" loader.md \
"One epoch of the corpus train split on one core from a cold start (\`go test ./bench -bench Loader -cpu 1\`), beside
reading the same files into raw slices."
} > "$tmp"
mv "$tmp" "$out"
echo "wrote $out"
