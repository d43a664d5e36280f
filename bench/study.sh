#!/usr/bin/env bash
# Issue #15's study in one GPU call: which tokenizer trains the better model, at equal compute.
# Prepare here: make study-prep (builds study-run/: the XLA binary, both dumps, one tokenizer per variant).
# Run on the device with carry ["study-run"] (a call runs at most ~9 minutes; split the variants over calls):
#   VARIANTS="bpe one one-recall rich" SIZE=small STEPS=800 SAMPLES=8 bash bench/study.sh
#   VARIANTS="one-lex classes" bash bench/study.sh;  SIZE=compact VARIANTS="bpe one rich" bash bench/study.sh
# Per variant: the pipeline over both dumps (validation = the tokenizer's 10% held-out repositories), `SIZE` in
# bf16 for STEPS steps (validation over the whole split every 250 steps, exact bytes), `tct eval` of the best
# checkpoint (by kind of target, SAMPLES samples with and without the grammar, SchemaStore's schema), and the 6-gram
# floor on the CPU cores meanwhile. $OUT/study-SIZE.md is rewritten after every variant (a cut-off run still reports).
set -uo pipefail
out=${OUT:-study-out}
dir=${STUDY_DIR:-study-run}
size=${SIZE:-small}; steps=${STEPS:-800}; samples=${SAMPLES:-8}
variants=${VARIANTS:-bpe one one-recall rich}
work=/tmp/study
mkdir -p "$out" "$work"
gunzip -c "$dir/tct-xla.gz" > /tmp/tct-xla && chmod +x /tmp/tct-xla || exit 1
# shellcheck disable=SC1091
source "$dir/pjrt-env.sh" || exit 1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > "$out/gpu.txt" 2>&1
tct=/tmp/tct-xla
for v in $variants; do
  $tct pipeline "$dir/corpus-a.jsonl.zst" "$dir/corpus-b.jsonl.zst" --tokenizer "$dir/tok/$v.json" \
    --val-fraction 0.1 --seed 1 --out "$work/$v/shards" --json > "$out/$v-pipeline.json" 2> "$out/$v-pipeline.log"
  cp "$work/$v/shards/manifest.json" "$out/$v-manifest.json"
  # The n-gram floor needs no GPU: it runs on the CPU cores beside the training.
  ( $tct eval --shards "$work/$v/shards" --tokenizer "$dir/tok/$v.json" --ngram 6 --json \
      > "$out/$v-ngram.json" 2> "$out/$v-ngram.log" ) &
done
for v in $variants; do
  run="$work/$v/run-$size"
  start=$(date +%s)
  $tct train --shards "$work/$v/shards" --tokenizer "$dir/tok/$v.json" --config "$size" --set dtype=bfloat16 \
    --set eval_batches=0 --steps "$steps" --out "$run" --log-every 100 --json \
    > "$out/$v-$size-train.json" 2> "$out/$v-$size-train.log"
  cp "$run/log.jsonl" "$out/$v-$size-log.jsonl" 2>/dev/null
  $tct eval --checkpoint "$run" --shards "$work/$v/shards" --tokenizer "$dir/tok/$v.json" -n "$samples" \
    --schemastore "$dir/github-workflow.json" --json > "$out/$v-$size-eval.json" 2> "$out/$v-$size-eval.log"
  echo "$v $size: $(( $(date +%s) - start )) s" | tee -a "$out/times.txt"
  python3 bench/study_table.py "$out" "$size" "$steps" > "$out/study-$size.md"
done
wait
python3 bench/study_table.py "$out" "$size" "$steps" > "$out/study-$size.md"
cat "$out/study-$size.md"
