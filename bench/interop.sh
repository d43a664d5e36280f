#!/usr/bin/env bash
# make interop: read the window shards with DuckDB (the npm package
# @duckdb/node-api, which ships its own native build) and check the row
# counts and the sums of token ids against the Go side (bench/interop_test.go).
# Needs node, npm and the npm registry; kept out of `go test ./...`.
# Usage: bench/interop.sh            (installs into ${TCT_INTEROP_DIR:-~/.cache/tct-interop})
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.5.6-r.1 # keep in step with duckdbVersion in bench/interop_test.go
dir=${TCT_INTEROP_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/tct-interop/$version}
if [ ! -f "$dir/node_modules/@duckdb/node-api/package.json" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --no-save "@duckdb/node-api@$version"
fi
TCT_INTEROP=1 TCT_INTEROP_NODE_PATH="$dir/node_modules" \
  go test ./bench -run '^TestInteropDuckDB$' -count=1 -v
