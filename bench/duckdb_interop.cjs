// Reads tct window shards with DuckDB (the @duckdb/node-api package, its own
// native build) and prints, per file, what the Go side checks: row count, sum
// of all token ids, list lengths, column types. Used by bench/interop_test.go.
// Usage: NODE_PATH=.../node_modules node bench/duckdb_interop.cjs FILE.parquet...
'use strict';
const { DuckDBInstance } = require('@duckdb/node-api');

async function main(files) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const out = [];
  for (const file of files) {
    const src = `read_parquet('${file.replaceAll("'", "''")}')`;
    const [s] = (await conn.runAndReadAll(
      `SELECT count(*) AS rows, sum(list_sum(tokens)) AS sum_ids, min(len(tokens)) AS min_len,
              max(len(tokens)) AS max_len, sum(valid) AS sum_valid, bit_xor(doc_id) AS xor_doc_id,
              any_value(typeof(tokens)) AS tokens_type, any_value(typeof(doc_id)) AS doc_id_type,
              any_value(typeof(valid)) AS valid_type
       FROM ${src}`)).getRowObjectsJson();
    out.push({ file, ...s });
  }
  conn.closeSync?.();
  process.stdout.write(JSON.stringify(out) + '\n');
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});
