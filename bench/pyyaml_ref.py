#!/usr/bin/env python3
"""Reference: the replaced system's YAML->JSON path (PyYAML safe_load + json.dumps).

Reads a JSONL(.zst) dump with a `content` field and converts every record,
timing only the conversion. Prints one JSON line with mb_per_s and docs_per_s.
"""
import argparse, json, subprocess, sys, time

import yaml

ap = argparse.ArgumentParser()
ap.add_argument("dump")
ap.add_argument("--loader", choices=["pure", "c"], default="c")
ap.add_argument("--max-bytes", type=int, default=0, help="stop after this many content bytes (0: all)")
a = ap.parse_args()

if a.dump.endswith(".zst"):
    raw = subprocess.run(["zstd", "-dc", a.dump], check=True, capture_output=True).stdout
else:
    raw = open(a.dump, "rb").read()
docs = []
total = 0
for line in raw.splitlines():
    if not line.strip():
        continue
    c = json.loads(line)["content"]
    docs.append(c)
    total += len(c.encode())
    if a.max_bytes and total >= a.max_bytes:
        break

Loader = yaml.CSafeLoader if a.loader == "c" else yaml.SafeLoader
ok = err = 0
t0 = time.perf_counter()
for d in docs:
    try:
        json.dumps(yaml.load(d, Loader=Loader), default=str)
        ok += 1
    except Exception:
        err += 1
secs = time.perf_counter() - t0
print(json.dumps({"impl": "pyyaml-" + a.loader, "docs": len(docs), "bytes": total, "ok": ok, "errors": err,
                  "seconds": secs, "mb_per_s": total / 1e6 / secs, "docs_per_s": len(docs) / secs}))
