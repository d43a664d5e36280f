#!/usr/bin/env bash
# make bench: every benchmark side by side with its reference, in one run.
# Usage: bench/run.sh [SHARED_DIR]   (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
corpus="$(cd "$shared" && pwd)/corpus/workflows.jsonl.zst"
res=bench/results
mkdir -p "$res"
[ -x bin/tct ] || CGO_ENABLED=0 go build -o bin/tct ./cmd/tct

echo "== YAML -> canonical JSON, in-process (go test -bench), corpus: $corpus"
TCT_CORPUS="$corpus" go test ./bench -run '^$' -bench 'YAMLToJSON' -benchtime 5x -count 1 | tee "$res/yamljson.txt"

echo "== Reference: PyYAML safe_load + json.dumps (one core)"
py_c=$(python3 bench/pyyaml_ref.py "$corpus" --loader c)
py_pure=$(python3 bench/pyyaml_ref.py "$corpus" --loader pure --max-bytes 3000000)
echo "$py_c"; echo "$py_pure"

echo "== tct convert end to end (every record converted: --path-pattern '')"
conv() { # workers label
  /usr/bin/time -f '%M' -o "$res/rss.$2" bin/tct convert "$corpus" --path-pattern '' --workers "$1" \
    --out "$res/convert.$2.jsonl.zst" --json > "$res/convert.$2.json"
  python3 - "$res/convert.$2.json" "$res/rss.$2" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); rss = int(open(sys.argv[2]).read().split()[-1]) / 1024
print(f"tct convert ({sys.argv[3]}): {r['read']} records, {r['mb_per_s']:.1f} MB/s, {r['docs_per_s']:.0f} docs/s, "
      f"{r['seconds']:.2f} s, peak RSS {rss:.0f} MB; written {r['written']} rejected {r['rejected']} duplicates {r['duplicates']}")
PY
}
conv 1 one-core
conv 0 all-cores

python3 - "$res" "$py_c" "$py_pure" <<'PY' | tee "$res/convert.md"
import json, re, sys
res = sys.argv[1]; py_c = json.loads(sys.argv[2]); py_pure = json.loads(sys.argv[3])
bench = {}
for line in open(f"{res}/yamljson.txt"):
    m = re.match(r"Benchmark(\S+?)-\d+\s+\d+\s+\d+ ns/op\s+([\d.]+) MB/s\s+([\d.]+) docs/s", line)
    if m:
        bench[m.group(1)] = (float(m.group(2)), float(m.group(3)))
def conv(label):
    r = json.load(open(f"{res}/convert.{label}.json")); rss = int(open(f"{res}/rss.{label}").read().split()[-1]) / 1024
    return r["mb_per_s"], r["docs_per_s"], rss
rows = [
  ("PyYAML safe_load + json.dumps (pure Python), 1 core", py_pure["mb_per_s"], py_pure["docs_per_s"], ""),
  ("PyYAML CSafeLoader (libyaml) + json.dumps, 1 core", py_c["mb_per_s"], py_c["docs_per_s"], ""),
  ("yaml.v3 into any + encoding/json, 1 core", *bench["YAMLToJSON/yamlv3-any+encoding-json"], ""),
  ("yaml.v3 parse into yaml.Node only (floor), 1 core", *bench["YAMLToJSON/yamlv3-node-parse"], ""),
  ("**tct converter** (YAMLToJSON), 1 core", *bench["YAMLToJSON/tct"], ""),
  ("**tct converter**, all cores", *bench["YAMLToJSONAllCores/tct"], ""),
  ("**tct convert** end to end, --workers 1", *conv("one-core")),
  ("**tct convert** end to end, all cores", *conv("all-cores")),
]
print("| path | MB/s | docs/s | peak RSS (MB) |\n|---|---:|---:|---:|")
for name, mb, docs, rss in rows:
    print(f"| {name} | {mb:.1f} | {docs:.0f} | {rss if rss == '' else f'{rss:.0f}'} |")
floor = bench["YAMLToJSON/yamlv3-node-parse"][0]; ours = bench["YAMLToJSON/tct"][0]
print(f"\nconverter vs libyaml: {ours / py_c['mb_per_s']:.1f}x; converter cost over the yaml.v3 parse floor: "
      f"{(floor / ours - 1) * 100:+.0f}%; tct convert (1 worker) vs converter alone: {ours / conv('one-core')[0]:.2f}x slower")
PY

echo "== Tokenizer: compression on held-out repositories, against o200k_base (tiktoken-go, id-for-id with tiktoken)"
bin/tct tokenize "$corpus" --held-out --vs o200k --verify --json > "$res/tokenize.heldout.json"
bin/tct tokenize "$corpus" --vs o200k --json > "$res/tokenize.all.json"
echo "== Tokenizer: speed, one core, in-process after a warm-up"
bin/tct bench tokenize "$corpus" --json > "$res/bench.tokenize.json"
# The rich variant (the former default: 16 tables, pruned, recall) and plain BPE: what they cost in speed.
bin/tct train-tokenizer "$corpus" --classes 8 --lex-states 2 --overlearn 0.25 --recall 64 --out "$res/tok.speed-rich.json" > /dev/null 2>&1
bin/tct bench tokenize "$corpus" --tokenizer "$res/tok.speed-rich.json" --json > "$res/bench.tokenize.rich.json"
bin/tct train-tokenizer "$corpus" --kind bpe --out "$res/tok.speed-bpe.json" > /dev/null 2>&1
bin/tct bench tokenize "$corpus" --tokenizer "$res/tok.speed-bpe.json" --json > "$res/bench.tokenize.bpe.json"
TCT_CORPUS="$corpus" go test ./bench -run '^$' -bench 'Tokenize' -benchtime 2x -count 1 | tee "$res/tokenize.txt"
echo "== Reference: npm tiktoken (WASM), one core"
bin/tct convert "$corpus" --out "$res/corpus.jsonl" > /dev/null 2>&1
npmdir=bench/npm-ref
if [ ! -d "$npmdir/node_modules/tiktoken" ]; then
  mkdir -p "$npmdir" && (cd "$npmdir" && npm init -y >/dev/null && npm install --no-audit --no-fund tiktoken@1 >/dev/null 2>&1) || echo "npm tiktoken could not be installed"
fi
npm_json='{}'
if [ -d "$npmdir/node_modules/tiktoken" ]; then
  cp bench/tiktoken_npm.mjs "$npmdir/" && npm_json=$(node "$npmdir/tiktoken_npm.mjs" "$res/corpus.jsonl")
fi
echo "$npm_json" > "$res/tiktoken_npm.json"
python3 - "$res" <<'PY' | tee "$res/tokenize.md"
import json, re, sys
res = sys.argv[1]
h = json.load(open(f"{res}/tokenize.heldout.json")); a = json.load(open(f"{res}/tokenize.all.json"))
b = json.load(open(f"{res}/bench.tokenize.json")); npm = json.load(open(f"{res}/tiktoken_npm.json"))
nl = json.load(open(f"{res}/bench.tokenize.bpe.json")); nr = json.load(open(f"{res}/bench.tokenize.rich.json"))
gob, gall = {}, {}
for line in open(f"{res}/tokenize.txt"):
    m = re.match(r"BenchmarkTokenize(AllCores)?/(\S+?)-\d+\s+\d+\s+\d+ ns/op\s+([\d.]+) MB/s\s+([\d.]+) tokens/s", line)
    if m: (gall if m.group(1) else gob)[m.group(2)] = (float(m.group(3)), float(m.group(4)))
print("| documents | base tokens (schema layer) | tokens (tct) | o200k as JSON | o200k as YAML | fewer than o200k JSON | fewer than o200k YAML | round-trip failures |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, r in (("held-out repositories", h), ("whole corpus (incl. training)", a)):
    print(f"| {name}: {r['documents']} | {r['schema']['base_tokens']:,} | {r['tokens']:,} | {r['o200k_tokens_json']:,} | {r['o200k_tokens_yaml']:,} | "
          f"{100*r['fewer_tokens_than_o200k_json']:.1f}% | {100*r['fewer_tokens_than_o200k_yaml']:.1f}% | {r.get('roundtrip_failures', '')} |")
print()
print("| encoder (one core unless marked) | MB/s (canonical JSON) | tokens/s |\n|---|---:|---:|")
print(f"| **tct** encode (`tct bench tokenize`, after warm-up) | {b['mb_per_s']:.1f} | {b['tokens_per_s']:,.0f} |")
print(f"| **tct** encode, first pass (fresh encoder, cache cold, as in a pipeline) | {b['first_pass_mb_per_s']:.1f} | |")
print(f"| **tct** decode | {b['decode_mb_per_s']:.1f} | {b['decode_tokens_per_s']:,.0f} |")
print(f"| tct, rich variant (`--classes 8 --lex-states 2 --overlearn 0.25 --recall 64`): encode / first pass / decode | {nr['mb_per_s']:.1f} / {nr['first_pass_mb_per_s']:.1f} / {nr['decode_mb_per_s']:.1f} | {nr['tokens_per_s']:,.0f} |")
print(f"| plain BPE (`--kind bpe`): encode / first pass / decode | {nl['mb_per_s']:.1f} / {nl['first_pass_mb_per_s']:.1f} / {nl['decode_mb_per_s']:.1f} | {nl['tokens_per_s']:,.0f} |")
if "tct-base" in gob: print(f"| tct base layer only (schema walk, no merges) | {gob['tct-base'][0]:.1f} | {gob['tct-base'][1]:,.0f} |")
if "o200k-tiktoken-go" in gob: print(f"| o200k_base, tiktoken-go | {gob['o200k-tiktoken-go'][0]:.1f} | {gob['o200k-tiktoken-go'][1]:,.0f} |")
if npm: print(f"| o200k_base, npm tiktoken (Rust core as WASM) | {npm['mb_per_s']:.1f} | {npm['tokens_per_s']:,.0f} |")
if "tct" in gall: print(f"| **tct** encode, all cores (an encoder per core, fresh each pass: cache cold) | {gall['tct'][0]:.1f} | {gall['tct'][1]:,.0f} |")
if "o200k-tiktoken-go" in gall: print(f"| o200k_base, tiktoken-go, all cores | {gall['o200k-tiktoken-go'][0]:.1f} | {gall['o200k-tiktoken-go'][1]:,.0f} |")
print("| o200k_base, native Python tiktoken (measured on the GPU machine's CPU, bench-ref) | 14.9 | 4,260,000 |")
print()
print(f"Tokenizer footprint (live heap, loaded and warmed on every document): {b['tokenizer_mb']:.1f} MB; "
      f"file load {b['load_ms']:.1f} ms; {b['merge_tables']} merge tables.")
PY

echo "== Tokenizer: what the merge classes and the vocabulary size buy (same corpus, same holdout)"
ablate() { # label flags...
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$res/time.train.$label" bin/tct train-tokenizer "$corpus" "$@" --out "$res/tok.$label.json" > /dev/null 2>&1
  bin/tct tokenize "$corpus" --tokenizer "$res/tok.$label.json" --held-out --vs o200k --json > "$res/ablate.$label.json"
}
ablate bpe --kind bpe
ablate default
ablate lex-only --lex-states 2
ablate no-lex --classes 8
ablate no-prune --classes 8 --lex-states 2
ablate no-recall --classes 8 --lex-states 2 --overlearn 0.25
ablate one-table-recall --recall 64
ablate rich --classes 8 --lex-states 2 --overlearn 0.25 --recall 64
ablate v16k --vocab 16384
ablate v32k --vocab 32768
python3 - "$res" <<'PY' | tee "$res/ablate.md"
import json, sys
res = sys.argv[1]
print("| tokenizer | merge tables | tokens (held-out) | fewer than o200k JSON | fewer than o200k YAML | training s | training peak RSS MB |")
print("|---|---:|---:|---:|---:|---:|---:|")
for label, name in (("bpe", "8,192, plain byte-level BPE over the JSON text (`--kind bpe`)"),
                    ("default", "**8,192, one shared merge table, plain BPE, no recall (default, shipped)**"),
                    ("lex-only", "8,192, one class × two lexical states (`--lex-states 2`)"),
                    ("no-lex", "8,192, merge classes (`--classes 8`)"),
                    ("no-prune", "8,192, merge classes × two lexical states (`--classes 8 --lex-states 2`)"),
                    ("no-recall", "8,192, merge classes × two lexical states, pruned (`... --overlearn 0.25`)"),
                    ("one-table-recall", "8,192, one shared merge table, with recall (`--recall 64`)"),
                    ("rich", "8,192, rich: classes × lexical states, pruned, recall (the former default)"),
                    ("v16k", "16,384, default settings"), ("v32k", "32,768, default settings")):
    r = json.load(open(f"{res}/ablate.{label}.json")); t = json.load(open(f"{res}/tok.{label}.json"))
    secs, rss = open(f"{res}/time.train.{label}").read().split()
    print(f"| {name} | {len(t.get('tables') or [1])} | {r['tokens']:,} | {100*r['fewer_tokens_than_o200k_json']:.1f}% | "
          f"{100*r['fewer_tokens_than_o200k_yaml']:.1f}% | {float(secs):.1f} | {int(rss)/1024:.0f} |")
PY

echo "== Tokenizer: five holdout splits (10% of repositories each, seeds 1-5): how much the held-out figure depends on the split"
for seed in 1 2 3 4 5; do
  bin/tct train-tokenizer "$corpus" --seed "$seed" --out "$res/tok.seed$seed.json" > /dev/null 2>&1
  bin/tct tokenize "$corpus" --tokenizer "$res/tok.seed$seed.json" --held-out --vs o200k --json > "$res/split.seed$seed.json"
  bin/tct train-tokenizer "$corpus" --seed "$seed" --classes 8 --lex-states 2 --overlearn 0.25 --recall 64 --out "$res/tok.seed$seed.norecall.json" > /dev/null 2>&1
  bin/tct tokenize "$corpus" --tokenizer "$res/tok.seed$seed.norecall.json" --held-out --vs o200k --json > "$res/split.seed$seed.norecall.json"
  bin/tct train-tokenizer "$corpus" --seed "$seed" --kind bpe --out "$res/tok.seed$seed.one.json" > /dev/null 2>&1
  bin/tct tokenize "$corpus" --tokenizer "$res/tok.seed$seed.one.json" --held-out --vs o200k --json > "$res/split.seed$seed.one.json"
done
python3 - "$res" <<'PY' | tee "$res/splits.md"
import json, sys
res = sys.argv[1]
rows = [json.load(open(f"{res}/split.seed{s}.json")) for s in range(1, 6)]
nolex = [json.load(open(f"{res}/split.seed{s}.norecall.json")) for s in range(1, 6)]
one = [json.load(open(f"{res}/split.seed{s}.one.json")) for s in range(1, 6)]
pct = lambda r, k: 100 * r[f"fewer_tokens_than_o200k_{k}"]
print("| holdout seed | held-out documents | tokens (tct) | fewer than o200k JSON | fewer than o200k YAML | rich: JSON | YAML | plain BPE: JSON | YAML |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for s, (r, n, o) in enumerate(zip(rows, nolex, one), 1):
    print(f"| {s} | {r['documents']} | {r['tokens']:,} | {pct(r, 'json'):.1f}% | {pct(r, 'yaml'):.1f}% | {pct(n, 'json'):.1f}% | {pct(n, 'yaml'):.1f}% | {pct(o, 'json'):.1f}% | {pct(o, 'yaml'):.1f}% |")
mean = lambda rs, k: sum(pct(r, k) for r in rs) / len(rs)
print(f"| mean | | | **{mean(rows, 'json'):.1f}%** | **{mean(rows, 'yaml'):.1f}%** | {mean(nolex, 'json'):.1f}% | {mean(nolex, 'yaml'):.1f}% | {mean(one, 'json'):.1f}% | {mean(one, 'yaml'):.1f}% |")
PY

echo "== Pipeline end to end (dump -> shards) beside conversion alone, and memory on a dump 10x the corpus"
pipe() { # label input workers
  rm -rf "$res/shards.$1"
  /usr/bin/time -f '%e %M' -o "$res/time.pipe.$1" bin/tct pipeline "$2" --out "$res/shards.$1" --workers "$3" --json > "$res/pipe.$1.json"
}
conv_time() { /usr/bin/time -f '%e %M' -o "$res/time.conv.$1" bin/tct convert "$2" --out "$res/conv.$1.jsonl" --workers "$3" --json > /dev/null; }
pipe one-core "$corpus" 1; conv_time one-core "$corpus" 1
pipe all-cores "$corpus" 0; conv_time all-cores "$corpus" 0
big="$res/corpus-x10.jsonl.zst"
if [ ! -f "$big" ]; then
  zstd -dc "$corpus" | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
for k in range(10):
    for l in lines:
        r = json.loads(l); r["content"] += "\n# copy %d\n" % k; print(json.dumps(r))' | zstd -q -3 -T2 -o "$big"
fi
pipe x10 "$big" 0
python3 - "$res" "$corpus" <<'PY' | tee "$res/pipeline.md"
import json, os, sys
res = sys.argv[1]
def t(name):
    s, kb = open(f"{res}/{name}").read().split()[-2:]
    return float(s), int(kb) / 1024
mb = 29.441948
print("| run | wall s | MB/s (YAML in) | docs/s | peak RSS MB |\n|---|---:|---:|---:|---:|")
for label, n in (("one-core", "--workers 1"), ("all-cores", "all cores")):
    ps, prss = t(f"time.pipe.{label}"); cs, crss = t(f"time.conv.{label}")
    p = json.load(open(f"{res}/pipe.{label}.json"))
    print(f"| tct convert, {n} | {cs:.2f} | {mb/cs:.1f} | {p['read']/cs:.0f} | {crss:.0f} |")
    print(f"| **tct pipeline** (convert + tokenize + windows + Parquet), {n} | {ps:.2f} | {mb/ps:.1f} | {p['read']/ps:.0f} | {prss:.0f} |")
xs, xrss = t("time.pipe.x10"); x = json.load(open(f"{res}/pipe.x10.json"))
print(f"| **tct pipeline**, dump 10x the corpus ({x['read']} records), all cores | {xs:.2f} | {10*mb/xs:.1f} | {x['read']/xs:.0f} | {xrss:.0f} |")
tok = sum(json.load(open(f"{res}/pipe.all-cores.json"))["tokens"] for _ in [0])
m = json.load(open(f"{res}/shards.all-cores/manifest.json"))
wb = sum(s["bytes"] for s in m["shards"] if s["kind"] == "windows")
slots = sum(c["windows"] for c in m["splits"].values()) * (m["config"]["context"] + 1)
print(f"\nShard size: {wb/1e6:.2f} MB of window shards for {tok:,} document tokens: {wb/tok:.2f} bytes per token ({wb/slots:.2f} per window slot, padding included).")
PY

echo "== Arrow loader: tokens/s on one core from a cold start, beside reading the same files with parquet-go"
TCT_CORPUS="$corpus" go test ./bench -run '^$' -bench 'Loader' -benchtime 10x -cpu 1 | tee "$res/loader.txt"
bin/tct shards bench "$res/shards.all-cores" --json > "$res/shards-bench.json" && cat "$res/shards-bench.json"
python3 - "$res" <<'PY' | tee "$res/loader.md"
import re, sys
res = sys.argv[1]
tps = {}
for line in open(f"{res}/loader.txt"):
    m = re.match(r"Benchmark(Loader\S*?)(-\d+)?\s+\d+\s.*?([\d.]+) tokens/s", line)
    if m: tps[m.group(1)] = float(m.group(3))
print("| reader | M tokens/s |\n|---|---:|")
for key, name in (("Loader/shuffled", "**loader, shuffled** (buffer 8,192, batch 32)"), ("Loader/file-order", "**loader, file order**"),
                  ("LoaderFloor/parquet-go", "parquet-go into raw slices (the floor)"), ("LoaderFloor/arrow-records", "arrow-go record reader alone")):
    if key in tps: print(f"| {name} | {tps[key] / 1e6:.1f} |")
if "Loader/shuffled" in tps and "LoaderFloor/parquet-go" in tps:
    print(f"\nloader (shuffled) vs the parquet-go floor: {tps['Loader/shuffled'] / tps['LoaderFloor/parquet-go']:.1f}x")
PY

echo "== docs/benchmarks.md from the tables above"
bash bench/report.sh "$res" docs/benchmarks.md "$corpus"
