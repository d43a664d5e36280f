#!/usr/bin/env bash
# The device check for the H200 (one prepared run; see ../shared/gpu/README.md). Issue #17's figures.
# Prepare here (CPU machine):
#   make gpu-prep        # builds gpu-run/tct-xla.gz (cgo, -tags xla, stripped, gzipped), packed corpus shards in
#                        # gpu-run/shards (the shipped one-table tokenizer), copies pjrt-env.sh and torch_gpt_ref.py
# Then run it on the device with carry ["gpu-run"] and a timeout that leaves room to rerun:
#   MODELS="small large" STEPS=300 bash bench/gpu.sh
# Per model: `tct train` in bf16 (batch 32 x 512) and the PyTorch reference (torch.compile) with the same shapes in
# the same call; $OUT/throughput.md: tokens/s, real (non-padding) tokens/s, the ratio to torch, model FLOP
# utilisation against the H200's ~790 TFLOP/s bf16, first-step time, data-wait share. Then `tct eval` of `small`
# (validation by kind, samples past the context, forced closes, SchemaStore, actionlint, the mask's cost).
set -uo pipefail
out=${OUT:-gpu-out}
runs=/tmp/gpu-runs
mkdir -p "$out" "$runs"
gunzip -c gpu-run/tct-xla.gz > /tmp/tct-xla && chmod +x /tmp/tct-xla || exit 1
# shellcheck disable=SC1091
source gpu-run/pjrt-env.sh || exit 1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/gpu.txt"
vocab=$(python3 -c 'import json; print(json.load(open("gpu-run/shards/manifest.json"))["layout"]["model_vocab"])')
shape() { case $1 in small) echo "--d 512 --layers 6 --heads 8";; medium) echo "--d 768 --layers 8 --heads 12";; large) echo "--d 1024 --layers 12 --heads 16";; esac; }
for m in ${MODELS:-small large}; do
  /tmp/tct-xla train --shards gpu-run/shards --config "$m" --set dtype=bfloat16 --steps "${STEPS:-300}" \
    --out "$runs/run-$m" --log-every 50 --json > "$out/train-$m.json" 2> "$out/train-$m.log"
  tail -3 "$out/train-$m.log"
  # shellcheck disable=SC2046
  /opt/torch/.venv/bin/python3 gpu-run/torch_gpt_ref.py --vocab "$vocab" $(shape "$m") --seq 512 \
    --batch 32 --bf16 --compile > "$out/torch-$m.txt" 2>&1
  tail -1 "$out/torch-$m.txt"
done
python3 - "$out" ${MODELS:-small large} <<'PY' | tee "$out/throughput.md"
import json, re, sys
out, models = sys.argv[1], sys.argv[2:]
peak = 790e12
print(f"| model | tct tokens/s | real tokens/s | torch.compile tokens/s | ratio | MFU | first step (s) | data wait |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for m in models:
    try:
        t = json.load(open(f"{out}/train-{m}.json"))
    except (OSError, ValueError):
        print(f"| {m} | failed: see train-{m}.log |||||||"); continue
    ref = re.search(r"tokens_per_s=(\d+)", open(f"{out}/torch-{m}.txt").read() or "")
    torch = float(ref.group(1)) if ref else 0
    mfu = t["tokens_per_s"] * t["flops_per_token"] / peak
    ratio = f"{t['tokens_per_s'] / torch:.0%}" if torch else "–"
    print(f"| {m} | {t['tokens_per_s']:,.0f} | {t.get('real_tokens_per_s', 0):,.0f} | {torch:,.0f} | {ratio} | {mfu:.1%} "
          f"| {t['first_step_s']:.1f} | {t['data_wait']:.1%} |")
PY
/tmp/tct-xla eval --checkpoint "$runs/run-small" --shards gpu-run/shards -n "${SAMPLES:-16}" \
  --schemastore gpu-run/github-workflow.json --ngram 6 --report "$out/eval.md" --json > "$out/eval.json" 2> "$out/eval.log"
head -30 "$out/eval.md"
# Which tokenizer trains the better model is bench/study.sh's question (make study-prep).
