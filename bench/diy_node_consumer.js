#!/usr/bin/env node
// The yardstick for `cpu_vs_diy_node_*` (issue 12): what a user would write instead of
// kinesis-import. It reads every shard of a stream from TRIM_HORIZON with @aws-sdk/client-kinesis
// (all shards at once), parses each record's JSON and appends it with @duckdb/node-api's appender
// into an existing table, adds the seed's kinesis_shard_id / shard_sequence_number, then closes
// the appender, runs CHECKPOINT and closes the database (DuckDB's deferred work is counted, as on
// our side). It stores no positions: it is not exactly-once, which only makes it cheaper.
// Usage: node bench/diy_node_consumer.js --endpoint URL --stream NAME --db FILE --table T
// Run it with NODE_PATH=tests/node/node_modules (bench/compare does).
'use strict';
process.removeAllListeners('warning');
const { KinesisClient, ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand } = require('@aws-sdk/client-kinesis');
const { NodeHttpHandler } = require('@smithy/node-http-handler');
const duckdb = require('@duckdb/node-api');

const opt = {};
for (let i = 2; i < process.argv.length; i += 2) opt[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

// A JSON value as the node API's value for a nested column type.
function nested(v, type) {
  const T = duckdb.DuckDBTypeId;
  if (v === null || v === undefined) return null;
  if (type.typeId === T.STRUCT) {
    const entries = {};
    type.entryNames.forEach((name, i) => { entries[name] = nested(v[name], type.entryTypes[i]); });
    return duckdb.structValue(entries);
  }
  if (type.typeId === T.LIST) return duckdb.listValue(v.map((x) => nested(x, type.valueType)));
  return v;
}

// One append function per column type, chosen once from the table's catalog.
function appenderFor(type) {
  const T = duckdb.DuckDBTypeId;
  switch (type.typeId) {
    case T.BOOLEAN: return (a, v) => a.appendBoolean(v);
    case T.INTEGER: return (a, v) => a.appendInteger(v);
    case T.BIGINT: return (a, v) => a.appendBigInt(BigInt(v));
    case T.DOUBLE: return (a, v) => a.appendDouble(v);
    // The unscaled integer (a JS number would go through a double).
    case T.DECIMAL: return (a, v) => a.appendDecimal(duckdb.decimalValue(BigInt(Math.round(v * 10 ** type.scale)), type.width, type.scale));
    case T.LIST: return (a, v) => a.appendList(nested(v, type), type);
    case T.STRUCT: return (a, v) => a.appendStruct(nested(v, type), type);
    // VARCHAR, and UUID / TIMESTAMPTZ from their text (the appender casts).
    default: return (a, v) => a.appendVarchar(typeof v === 'string' ? v : JSON.stringify(v));
  }
}

(async () => {
  const client = new KinesisClient({
    endpoint: opt.endpoint, region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    requestHandler: new NodeHttpHandler(), maxAttempts: 10,
  });
  const instance = await duckdb.DuckDBInstance.create(opt.db);
  const connection = await instance.connect();
  const appender = await connection.createAppender(opt.table);
  const columns = (await connection.runAndReadAll(
    `SELECT column_name FROM duckdb_columns() WHERE table_name = '${opt.table}' ORDER BY column_index`)).getRows().map((r) => r[0]);
  const append = columns.map((_, i) => appenderFor(appender.columnType(i)));
  let total = 0;

  const shards = [];
  let token;
  do {
    const r = await client.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: opt.stream }));
    shards.push(...r.Shards);
    token = r.NextToken;
  } while (token);

  await Promise.all(shards.map(async (shard) => {
    let it = (await client.send(new GetShardIteratorCommand({
      StreamName: opt.stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (;;) {
      const r = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10000 }));
      for (const rec of r.Records) {
        const row = JSON.parse(Buffer.from(rec.Data).toString('utf8'));
        row.kinesis_shard_id = shard.ShardId;
        row.shard_sequence_number = rec.SequenceNumber;
        for (let i = 0; i < columns.length; i++) {
          const v = row[columns[i]];
          if (v === undefined || v === null) appender.appendNull(); else append[i](appender, v);
        }
        appender.endRow();
      }
      total += r.Records.length;
      it = r.NextShardIterator;
      if (r.Records.length === 0 && r.MillisBehindLatest === 0) break;
    }
  }));
  appender.closeSync();
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
  process.stdout.write(`${total}\n`);
})().catch((e) => { process.stderr.write(`diy_node_consumer: ${e.name}: ${e.message}\n`); process.exit(1); });
