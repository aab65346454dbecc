#!/usr/bin/env node
// An independent Kinesis client for the integration tests: the AWS SDK for JavaScript v3.
// Usage: node sdk_client.js <command> --endpoint URL [--region R] --stream NAME [options]
//   read-all                      every record of every shard from TRIM_HORIZON, as NDJSON
//                                 {shard_id, sequence_number, partition_key, data_base64}
//   list-shards [--max-results N] the shards as a JSON array (all pages)
//   create --shards N             create a stream and wait until it is ACTIVE
//   delete                        delete a stream and wait until it is gone
//   put --file F [--key K]        put NDJSON lines as records (partition key K or the line number)
//   put-raw-b64 --file F          put lines that are base64 payloads (binary records)
//   put-gzip --file F             put each NDJSON line gzip-compressed
//   put-kpl --file F --per N [--bad-md5 1]
//                                 put the NDJSON lines as KPL aggregates of N user records each
//                                 (aws-kinesis-agg); user record i gets partition key "pk<i%3>",
//                                 every 4th an explicit hash key; --bad-md5 corrupts the checksum;
//                                 --gzip 1 gzip-compresses each whole aggregate
//   split --shard ID              split a shard at the middle of its hash key range, wait for ACTIVE
//   merge --shard A --adjacent B  merge two adjacent shards, wait for ACTIVE
//   produce --keys K --rounds N [--interval-ms M] [--first F]
//                                 put N rounds of one record per key, {"k":"key<i>","n":<round>}
//                                 with partition key key<i>; a round is put only after the last one
//                                 was accepted, so each key's records are in the stream in order
//   put-spread --shards S --per-shard N
//                                 put N records into each of the S shards of a stream created
//                                 with S shards (explicit hash keys in the middle of each shard's
//                                 even share of the range), {"id":<i>,"shard":<j>}, 500 per call
// Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; the emulators do not check them.
'use strict';
// The SDK warns about Node 20 on every start; it is noise in test output.
process.removeAllListeners('warning');
const fs = require('fs');
const { KinesisClient, ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand,
  CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand,
  SplitShardCommand, MergeShardsCommand } = require('@aws-sdk/client-kinesis');
const { NodeHttpHandler } = require('@smithy/node-http-handler');

function args() {
  const out = { _: [] };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith('--')) out[a[i].slice(2)] = a[++i];
    else out._.push(a[i]);
  }
  return out;
}

const opt = args();
const client = new KinesisClient({
  endpoint: opt.endpoint,
  region: opt.region || process.env.AWS_REGION || 'us-east-1',
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'AKIDTEST',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'test',
  },
  // The SDK defaults to HTTP/2, which kinesalite does not speak.
  requestHandler: new NodeHttpHandler(),
  maxAttempts: 10,
});

async function listShards(maxResults) {
  const shards = [];
  let token;
  do {
    const input = token ? { NextToken: token } : { StreamName: opt.stream };
    if (maxResults) input.MaxResults = maxResults;
    const r = await client.send(new ListShardsCommand(input));
    shards.push(...(r.Shards || []));
    token = r.NextToken;
  } while (token);
  return shards;
}

async function readAll() {
  const shards = await listShards();
  for (const s of shards) {
    let it = (await client.send(new GetShardIteratorCommand({
      StreamName: opt.stream, ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON',
    }))).ShardIterator;
    while (it) {
      const r = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10000 }));
      for (const rec of r.Records || []) {
        process.stdout.write(JSON.stringify({
          shard_id: s.ShardId,
          sequence_number: rec.SequenceNumber,
          partition_key: rec.PartitionKey,
          arrival_ms: rec.ApproximateArrivalTimestamp ? rec.ApproximateArrivalTimestamp.getTime() : null,
          data_base64: Buffer.from(rec.Data).toString('base64'),
        }) + '\n');
      }
      it = r.NextShardIterator;
      if ((r.Records || []).length === 0 && !r.MillisBehindLatest) break;
    }
  }
}

async function create() {
  await client.send(new CreateStreamCommand({ StreamName: opt.stream, ShardCount: Number(opt.shards || 1) }));
  for (let i = 0; i < 600; i++) {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: opt.stream }));
    if (d.StreamDescriptionSummary.StreamStatus === 'ACTIVE') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('stream did not become ACTIVE');
}

async function deleteStream() {
  await client.send(new DeleteStreamCommand({ StreamName: opt.stream }));
  for (let i = 0; i < 600; i++) {
    try {
      await client.send(new DescribeStreamSummaryCommand({ StreamName: opt.stream }));
    } catch (e) {
      if (e.name === 'ResourceNotFoundException') return;
      throw e;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('stream was not deleted');
}

async function putPayloads(payloads) {
  let n = 0;
  for (let i = 0; i < payloads.length; i += 500) {
    let batch = payloads.slice(i, i + 500);
    for (let attempt = 0; batch.length && attempt < 20; attempt++) {
      const r = await client.send(new PutRecordsCommand({ StreamName: opt.stream, Records: batch }));
      const failed = [];
      r.Records.forEach((res, k) => { if (res.ErrorCode) failed.push(batch[k]); else n++; });
      batch = failed;
      if (batch.length) await new Promise((res) => setTimeout(res, 100 * (attempt + 1)));
    }
    if (batch.length) throw new Error(`${batch.length} records could not be put`);
  }
  process.stdout.write(`put ${n}\n`);
}

function readLines() {
  return fs.readFileSync(opt.file, 'utf8').split('\n').filter((l) => l.length > 0);
}

async function putGzip() {
  const zlib = require('zlib');
  await putPayloads(readLines().map((l, k) => ({ Data: zlib.gzipSync(Buffer.from(l, 'utf8')), PartitionKey: String(k + 1) })));
}

async function putKpl() {
  const { RecordAggregator } = require('aws-kinesis-agg');
  const lines = readLines();
  const per = Number(opt.per || 10);
  const payloads = [];
  for (let i = 0; i < lines.length; i += per) {
    const agg = new RecordAggregator();
    lines.slice(i, i + per).forEach((l, k) => {
      const rec = { partitionKey: `pk${(i + k) % 3}`, data: Buffer.from(l, 'utf8') };
      if ((i + k) % 4 === 0) rec.explicitHashKey = String(BigInt(i + k) * 1000003n);
      agg.addUserRecord(rec);
    });
    const enc = agg.build();
    const data = Buffer.from(enc.data);
    if (opt['bad-md5']) data[data.length - 1] ^= 0xff;
    const zipped = opt.gzip ? require('zlib').gzipSync(data) : data;
    payloads.push({ Data: zipped, PartitionKey: enc.partitionKey });
  }
  await putPayloads(payloads);
}

async function put(binary) {
  const lines = fs.readFileSync(opt.file, 'utf8').split('\n').filter((l) => l.length > 0);
  let n = 0;
  for (let i = 0; i < lines.length; i += 500) {
    let batch = lines.slice(i, i + 500).map((l, k) => ({
      Data: binary ? Buffer.from(l, 'base64') : Buffer.from(l, 'utf8'),
      PartitionKey: opt.key || String(i + k + 1),
    }));
    for (let attempt = 0; batch.length && attempt < 20; attempt++) {
      const r = await client.send(new PutRecordsCommand({ StreamName: opt.stream, Records: batch }));
      const failed = [];
      r.Records.forEach((res, k) => { if (res.ErrorCode) failed.push(batch[k]); else n++; });
      batch = failed;
      if (batch.length) await new Promise((res) => setTimeout(res, 100 * (attempt + 1)));
    }
    if (batch.length) throw new Error(`${batch.length} records could not be put`);
  }
  process.stdout.write(`put ${n}\n`);
}

async function waitActive() {
  for (let i = 0; i < 600; i++) {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: opt.stream }));
    if (d.StreamDescriptionSummary.StreamStatus === 'ACTIVE') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`stream ${opt.stream} did not become ACTIVE within 60 s`);
}

async function split() {
  const shard = (await listShards(0)).find((s) => s.ShardId === opt.shard);
  if (!shard) throw new Error(`no shard ${opt.shard}`);
  const lo = BigInt(shard.HashKeyRange.StartingHashKey);
  const hi = BigInt(shard.HashKeyRange.EndingHashKey);
  await client.send(new SplitShardCommand({ StreamName: opt.stream, ShardToSplit: opt.shard,
    NewStartingHashKey: String((lo + hi + 1n) / 2n) }));
  await waitActive();
}

async function merge() {
  await client.send(new MergeShardsCommand({ StreamName: opt.stream, ShardToMerge: opt.shard,
    AdjacentShardToMerge: opt.adjacent }));
  await waitActive();
}

async function produce() {
  const keys = Number(opt.keys || 1);
  const rounds = Number(opt.rounds || 1);
  const first = Number(opt.first || 1);
  const pause = Number(opt['interval-ms'] || 0);
  let n = 0;
  for (let r = first; r < first + rounds; r++) {
    let batch = [];
    for (let k = 0; k < keys; k++) {
      batch.push({ Data: Buffer.from(JSON.stringify({ k: `key${k}`, n: r }), 'utf8'), PartitionKey: `key${k}` });
    }
    for (let attempt = 0; batch.length && attempt < 50; attempt++) {
      let res;
      try {
        res = await client.send(new PutRecordsCommand({ StreamName: opt.stream, Records: batch }));
      } catch (e) {
        await new Promise((ok) => setTimeout(ok, 100 * (attempt + 1)));
        continue;
      }
      const failed = [];
      res.Records.forEach((x, i) => { if (x.ErrorCode) failed.push(batch[i]); else n++; });
      batch = failed;
      if (batch.length) await new Promise((ok) => setTimeout(ok, 100 * (attempt + 1)));
    }
    if (batch.length) throw new Error(`${batch.length} records could not be put`);
    if (pause) await new Promise((ok) => setTimeout(ok, pause));
  }
  process.stdout.write(`put ${n}\n`);
}

async function putSpread() {
  const shards = BigInt(opt.shards);
  const perShard = Number(opt['per-shard'] || 1);
  const width = (1n << 128n) / shards;
  const payloads = [];
  for (let r = 0; r < perShard; r++) {
    for (let j = 0n; j < shards; j++) {
      const id = payloads.length;
      payloads.push({ Data: Buffer.from(JSON.stringify({ id, shard: Number(j) }), 'utf8'),
        PartitionKey: `p${id}`, ExplicitHashKey: String(width * j + width / 2n) });
    }
  }
  await putPayloads(payloads);
}

(async () => {
  switch (opt._[0]) {
    case 'split': await split(); break;
    case 'merge': await merge(); break;
    case 'produce': await produce(); break;
    case 'read-all': await readAll(); break;
    case 'list-shards': process.stdout.write(JSON.stringify(await listShards(Number(opt['max-results'] || 0))) + '\n'); break;
    case 'create': await create(); break;
    case 'delete': await deleteStream(); break;
    case 'put': await put(false); break;
    case 'put-raw-b64': await put(true); break;
    case 'put-gzip': await putGzip(); break;
    case 'put-kpl': await putKpl(); break;
    case 'put-spread': await putSpread(); break;
    default: throw new Error(`unknown command ${opt._[0]}`);
  }
})().catch((e) => { process.stderr.write(`sdk_client: ${e.name}: ${e.message}\n`); process.exit(1); });
