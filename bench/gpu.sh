#!/usr/bin/env bash
# The device check for the H200 (one prepared run; see ../shared/gpu/README.md).
# Prepare here (CPU machine):
#   make gpu-prep        # builds gpu-run/tct-xla.gz (cgo, -tags xla, stripped, gzipped), corpus shards in
#                        # gpu-run/shards, copies pjrt-env.sh and torch_gpt_ref.py into gpu-run/, and
#                        # shards of a one-table tokenizer (--classes 1 --lex-states 1 --overlearn 0 --recall 0) in gpu-run/shards-one
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

# Which tokenizer trains the better model: the same run on the one-table tokenizer's shards, compared on
# validation bits per byte (on CPU, a 1.2M-weight model did 1-2% better with one table; see the README).
if [ -d gpu-run/shards-one ]; then
  /tmp/tct-xla train --shards gpu-run/shards-one --config small --set dtype=bfloat16 --steps "${STEPS:-300}" \
    --out "$out/run-small-one" --json > "$out/train-small-one.json" 2> "$out/train-small-one.log"
  /tmp/tct-xla eval --checkpoint "$out/run-small-one" --shards gpu-run/shards-one --tokenizer gpu-run/tok-one.json -n 0 \
    --json > "$out/eval-one.json" 2> "$out/eval-one.log"
  python3 - "$out" <<'PY'
import json, sys
o = sys.argv[1]
a = json.load(open(f"{o}/train-small.json")); b = json.load(open(f"{o}/train-small-one.json"))
e = json.load(open(f"{o}/eval-one.json"))
print(f"merge classes: val_bpb {a.get('val_bpb')}  one table: val_bpb {b.get('val_bpb')} (whole split: {e.get('val_bpb')})")
PY
fi
