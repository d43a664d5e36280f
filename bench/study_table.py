#!/usr/bin/env python3
"""Writes the study table of bench/study.sh from its output folder: study_table.py OUT SIZE STEPS."""
import json
import os
import sys

out, size, steps = sys.argv[1], sys.argv[2], sys.argv[3]
ORDER = ["bpe", "one", "one-recall", "one-lex", "classes", "rich"]
NAMES = {
    "bpe": "plain BPE over JSON text (`--kind bpe`)",
    "one": "one table (the default)",
    "one-recall": "one table + recall (`--recall 64`)",
    "one-lex": "one table + lexical states (`--lex-states 2`)",
    "classes": "merge classes (`--classes 8`)",
    "rich": "rich: classes × lexical states, pruned, recall",
}


def load(path):
    try:
        with open(os.path.join(out, path)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def log(v):
    lines = []
    try:
        with open(os.path.join(out, f"{v}-{size}-log.jsonl")) as f:
            for line in f:
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    return [x for x in lines if x.get("val_bpb")]


def pct(x):
    return "–" if x is None else f"{100 * x:.0f}%"


def sampling(e, mode):
    s = (e or {}).get(mode) or {}
    if not s.get("samples"):
        return "–"
    return f"{pct(s.get('complete'))} / {pct(s.get('valid_ours'))} / {pct(s.get('valid_schemastore'))}"


def kinds(e):
    bk = (e or {}).get("by_kind") or {}
    total = sum(k["bits"] for k in bk.values()) or 1
    top = sorted(bk.items(), key=lambda kv: -kv[1]["bits"])[:3]
    return ", ".join(f"{n} {100 * k['bits'] / total:.0f}% ({k['bits'] / max(k['bytes'], 1):.2f})" for n, k in top)


def row(v):
    m, e, g, vals = load(f"{v}-manifest.json"), load(f"{v}-{size}-eval.json"), load(f"{v}-ngram.json"), log(v)
    if m is None:
        return None
    tr = m["splits"].get("train", {})
    per_doc = tr.get("tokens", 0) / max(tr.get("documents", 1), 1)
    best = min(vals, key=lambda x: x["val_bpb"]) if vals else None
    final = vals[-1] if vals else None
    floor = ((g or {}).get("ngram") or {}).get("val_bpb")
    gpt = (e or {}).get("val_bpb")
    beat = f"{100 * (1 - gpt / floor):.0f}%" if gpt and floor else "–"
    cells = [
        NAMES.get(v, v), f"{tr.get('tokens', 0):,}", f"{per_doc:.0f}",
        f"{best['val_bpb']:.3f} ({best['step']})" if best else "–",
        f"{final['val_bpb']:.3f}" if final else "–",
        f"{floor:.3f}" if floor else "–", beat,
        sampling(e, "constrained"), sampling(e, "unconstrained"), kinds(e),
    ]
    return "| " + " | ".join(cells) + " |"


gpu = open(os.path.join(out, "gpu.txt")).read().strip() if os.path.exists(os.path.join(out, "gpu.txt")) else "?"
print(f"# Tokenizer study: `{size}`, bf16, {steps} steps, batch 32 × 512 ({gpu})\n")
print("Validation: the tokenizers' 10% held-out repositories of both dumps; bits per byte of canonical JSON, exact "
      "bytes per target. Sampling: complete / valid under our schema / valid under SchemaStore's. By kind: the three "
      "kinds of target with the most bits (share of bits, bits per byte).\n")
print("| tokenizer | train tokens | tokens/doc | best val bpb (step) | final val bpb | 6-gram floor | GPT below the floor "
      "| constrained | unconstrained | loss by kind |")
print("|---|---:|---:|---:|---:|---:|---:|---|---|---|")
for v in ORDER:
    r = row(v)
    if r:
        print(r)
