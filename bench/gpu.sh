#!/usr/bin/env bash
# The device check for the H200 (one prepared run; see ../shared/gpu/README.md).
# Prepare here (CPU machine):
#   make gpu-prep        # builds gpu-run/tct-xla.gz (cgo, -tags xla, stripped, gzipped), corpus shards in
#                        # gpu-run/shards (the shipped one-table tokenizer), copies pjrt-env.sh and torch_gpt_ref.py into gpu-run/
# Then run it on the device with carry ["gpu-run"] and a timeout that leaves room to rerun:
#   bash bench/gpu.sh
# It trains `small` (bf16) from the corpus shards and runs the PyTorch reference with the same shapes
# in the same session; results land in $OUT (the device tool's output folder).
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out"
gunzip -c gpu-run/tct-xla.gz > /tmp/tct-xla && chmod +x /tmp/tct-xla || exit 1
source gpu-run/pjrt-env.sh || exit 1
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu.txt"
vocab=$(python3 -c 'import json; print(json.load(open("gpu-run/shards/manifest.json"))["layout"]["model_vocab"])')
/tmp/tct-xla train --shards gpu-run/shards --config small --set dtype=bfloat16 --steps "${STEPS:-300}" \
  --out "$out/run-small" --json > "$out/train-small.json" 2> "$out/train-small.log"
tail -5 "$out/train-small.log"; cat "$out/train-small.json"
/opt/torch/.venv/bin/python3 gpu-run/torch_gpt_ref.py --vocab "$vocab" --d 512 --layers 6 --heads 8 --seq 512 \
  --batch 32 --bf16 --compile 2>&1 | tee "$out/torch-ref.txt" | tail -5
# Issue 8's figures: validation bits per byte, validity with and without constraints, TV distances,
# samples, and the mask's share of the time per generated token, on the GPU.

/tmp/tct-xla eval --checkpoint "$out/run-small" --shards gpu-run/shards -n "${SAMPLES:-16}" \
  --schemastore gpu-run/github-workflow.json --report "$out/eval.md" > /dev/null 2> "$out/eval.log"
cat "$out/eval.md" | head -40

# Which tokenizer trains the better model is bench/study.sh's question (make study-prep).
