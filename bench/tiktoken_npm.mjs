// Reference: o200k_base with the npm package `tiktoken` (OpenAI's Rust core
// compiled to WASM). Reads JSON lines ({"json": <doc>} as written by
// `tct convert`), encodes each document's compact JSON on one thread after a
// warm-up pass, and prints one JSON line with its throughput.
import { readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";

const path = process.argv[2];
const docs = readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.stringify(JSON.parse(l).json));
const enc = get_encoding("o200k_base");
let tokens = 0, bytes = 0;
for (const d of docs) enc.encode(d); // warm-up
const t0 = process.hrtime.bigint();
for (const d of docs) { tokens += enc.encode(d).length; bytes += Buffer.byteLength(d); }
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ impl: "npm tiktoken (WASM) o200k_base", docs: docs.length, bytes, tokens, seconds: secs,
  mb_per_s: bytes / 1e6 / secs, tokens_per_s: tokens / secs, docs_per_s: docs.length / secs }));
enc.free();
