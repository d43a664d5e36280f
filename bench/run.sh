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
