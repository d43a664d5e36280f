#!/usr/bin/env python3
"""Throughput of the tokenizer from Python, beside the Go figure and
Python tiktoken's (o200k_base, where tiktoken is installed and its encoding
loads).

    make python && python3 python/bench.py [--corpus ../shared/corpus/workflows.jsonl.zst] [--threads 4]

Documents: those `tct-ref docs` (capi/goref) accepts from the corpus (the
embedded testdata dump without one). MB/s are of the documents' YAML bytes,
whatever the input format of the pass. Every pass runs over all the
documents --repeat times (the fastest counts); Go passes run on one
goroutine (`tct-ref bench`), before and after the Python ones.
"""

import argparse
import json
import os
import platform
import tempfile
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tct  # noqa: E402
import test_tct  # noqa: E402  (the Go reference binary and the corpus location)


REPEAT = 1


def timed(name, docs, yaml_bytes, fn):
    s = None
    for _ in range(REPEAT):
        start = time.perf_counter()
        tokens = fn()
        d = time.perf_counter() - start
        s = d if s is None else min(s, d)
    return {"name": name, "seconds": s, "mb_per_s": yaml_bytes / 1e6 / s, "docs_per_s": len(docs) / s, "tokens": tokens}


def python_passes(tok, docs, yaml_bytes, threads):
    texts = [d["content"] for d in docs]
    jsons = [d["json"] for d in docs]
    ids = [d["ids"] for d in docs]
    out = [
        timed("python tct encode yaml", docs, yaml_bytes, lambda: sum(len(tok.encode(t, "yaml")) for t in texts)),
        timed("python tct encode json", docs, yaml_bytes, lambda: sum(len(tok.encode(t, "json")) for t in jsons)),
        timed("python tct decode json", docs, yaml_bytes, lambda: sum(len(i) for i in ids if tok.decode_bytes(i, "json"))),
        timed("python tct decode yaml", docs, yaml_bytes, lambda: sum(len(i) for i in ids if tok.decode(i, "yaml"))),
        timed(f"python tct encode yaml, {threads} threads", docs, yaml_bytes,
              lambda: sum(len(x) for x in tok.encode_batch(texts, "yaml", num_threads=threads))),
    ]
    return out


def tiktoken_pass(docs, yaml_bytes):
    try:
        import tiktoken
        enc = tiktoken.get_encoding("o200k_base")
    except Exception as e:  # not installed, or the encoding cannot be fetched
        return None, f"{type(e).__name__}: {e}"
    texts = [d["content"] for d in docs]
    return timed("python tiktoken o200k encode yaml", docs, yaml_bytes,
                 lambda: sum(len(enc.encode_ordinary(t)) for t in texts)), None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", nargs="*", help="dump(s) to read (default: the shared corpus, else testdata)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=3, help="passes of each kind; the fastest counts")
    ap.add_argument("--json", help="also write the report to this file")
    args = ap.parse_args()
    global REPEAT
    REPEAT = max(args.repeat, 1)
    tmp = tempfile.TemporaryDirectory()
    binary = test_tct.goref_binary(tmp.name)
    inputs = args.corpus or test_tct.corpus_inputs()
    raw = subprocess.run([binary, "docs", *inputs], cwd=test_tct.ROOT, check=True, capture_output=True).stdout
    docs = [d for d in (json.loads(line) for line in raw.splitlines()) if "reject" not in d]
    yaml_bytes = sum(len(d["content"].encode()) for d in docs)
    def go_bench():
        out = subprocess.run([binary, "bench", "-repeat", str(REPEAT)], input=raw, check=True, capture_output=True).stdout
        return json.loads(out)["results"]

    before = go_bench()  # Go runs before and after Python, the faster counts: less bias from other load
    tok = tct.Tokenizer.load()
    results = python_passes(tok, docs, yaml_bytes, args.threads)
    go = {"results": [min(a, b, key=lambda r: r["seconds"]) for a, b in zip(before, go_bench())]}
    tk, why = tiktoken_pass(docs, yaml_bytes)
    if tk:
        results.append(tk)
    results += go["results"]
    report = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
              "python": platform.python_version(), "inputs": inputs, "documents": len(docs), "yaml_bytes": yaml_bytes,
              "tokenizer": tok.fingerprint, "results": results, "tiktoken": why or "measured"}
    print(f"{len(docs)} documents, {yaml_bytes / 1e6:.1f} MB of YAML ({', '.join(inputs)}); {report['machine']}, "
          f"Python {report['python']}, {report['date']}")
    print(f"| pass | seconds | MB/s (YAML bytes) | docs/s | tokens |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['name']} | {r['seconds']:.2f} | {r['mb_per_s']:.1f} | {r['docs_per_s']:.0f} | {r['tokens']} |")
    if why:
        print(f"tiktoken not measured: {why}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    tmp.cleanup()


if __name__ == "__main__":
    main()
