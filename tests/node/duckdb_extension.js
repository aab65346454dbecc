#!/usr/bin/env node
// A real DuckDB client (@duckdb/node-api) loading the kinesis extension, for the integration
// tests: opens an in-memory database with allow_unsigned_extensions, LOADs the extension, runs
// each SQL argument and prints its rows as one JSON array per statement (an error as
// {"error": "..."}), one line each.
// Usage: node duckdb_extension.js EXTENSION_FILE SQL...
'use strict';
const { DuckDBInstance } = require('@duckdb/node-api');

(async () => {
  const [extension, ...statements] = process.argv.slice(2);
  const instance = await DuckDBInstance.create(':memory:', { allow_unsigned_extensions: 'true' });
  const connection = await instance.connect();
  await connection.run(`LOAD '${extension.replace(/'/g, "''")}'`);
  for (const sql of statements) {
    try {
      const reader = await connection.runAndReadAll(sql);
      process.stdout.write(JSON.stringify(reader.getRowObjectsJson()) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: e.message }) + '\n');
    }
  }
  connection.closeSync();
})().catch((e) => { process.stderr.write(`duckdb_extension: ${e.message}\n`); process.exit(1); });
