#!/usr/bin/env bash
# The device check for the H200 (one prepared run; see ../shared/gpu/README.md).
# Prepare here (CPU machine):
#   make gpu-prep        # builds bin/tct-xla (cgo, -tags xla), corpus shards in gpu-run/shards,
#                        # copies pjrt-env.sh and torch_gpt_ref.py into gpu-run/
# Then run it on the device with carry ["bin", "gpu-run"] and a timeout that leaves room to rerun:
#   bash bench/gpu.sh
# It trains `small` (bf16) from the corpus shards and runs the PyTorch reference with the same shapes
# in the same session; results land in $OUT (the device tool's output folder).
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out"
source gpu-run/pjrt-env.sh || exit 1
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu.txt"
vocab=$(python3 -c 'import json; print(json.load(open("gpu-run/shards/manifest.json"))["layout"]["model_vocab"])')
./bin/tct-xla train --shards gpu-run/shards --config small --set dtype=bfloat16 --steps "${STEPS:-300}" \
  --out "$out/run-small" --json > "$out/train-small.json" 2> "$out/train-small.log"
tail -5 "$out/train-small.log"; cat "$out/train-small.json"
/opt/torch/.venv/bin/python3 gpu-run/torch_gpt_ref.py --vocab "$vocab" --d 512 --layers 6 --heads 8 --seq 512 \
  --batch 32 --bf16 --compile 2>&1 | tee "$out/torch-ref.txt" | tail -5
