#!/usr/bin/env node
// The producer and the reader of bench/follow_latency (run that script, not this file).
//
// Producer: puts --rate records/s for --seconds s into --stream, in PutRecords calls every 10 ms
// (at most 8 in flight), each record {"id":<n>,"put_ms":<ms>}; a record's put time is when its
// PutRecords call returned successfully (the record is then in the stream).
// Reader: every --poll-ms opens the DuckDB file read-only (as any user's query would; while
// follow has the file open for a commit the open fails and is retried at the next poll), reads
// the ids it has not seen yet, closes it. A row's visible time is when the open that first saw it
// succeeded, so a latency is overstated by at most the poll interval, never understated.
// Prints p50/p90/p99/max of (visible - put) and ends with one JSON line.
'use strict';
process.removeAllListeners('warning');
const path = require('path');
const nodeDir = path.join(__dirname, '..', 'tests', 'node', 'node_modules');
const { KinesisClient, PutRecordsCommand } = require(path.join(nodeDir, '@aws-sdk/client-kinesis'));
const { NodeHttpHandler } = require(path.join(nodeDir, '@smithy/node-http-handler'));
const { DuckDBInstance } = require(path.join(nodeDir, '@duckdb/node-api'));

function args() {
  const out = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) out[a[i].replace(/^--/, '')] = a[i + 1];
  return out;
}

const opt = args();
const rate = Number(opt.rate || 1000);
const seconds = Number(opt.seconds || 60);
const pollMs = Number(opt['poll-ms'] || 50);
const waitMs = Number(opt['wait-ms'] || 30000);
const total = Math.round(rate * seconds);
const client = new KinesisClient({
  endpoint: opt.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
  requestHandler: new NodeHttpHandler(),
  maxAttempts: 5,
});
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

const putAt = new Float64Array(total).fill(NaN);
const seenAt = new Float64Array(total).fill(NaN);
let putFailures = 0;

async function putBatch(ids) {
  let batch = ids;
  for (let attempt = 0; batch.length && attempt < 50; attempt++) {
    const records = batch.map((id) => ({
      Data: Buffer.from(JSON.stringify({ id, put_ms: Date.now() }), 'utf8'), PartitionKey: `k${id}`,
    }));
    let res;
    try {
      res = await client.send(new PutRecordsCommand({ StreamName: opt.stream, Records: records }));
    } catch (e) {
      ++putFailures;
      await sleep(50);
      continue;
    }
    const now = Date.now();
    const failed = [];
    res.Records.forEach((r, k) => { if (r.ErrorCode) failed.push(batch[k]); else putAt[batch[k]] = now; });
    if (failed.length) ++putFailures;
    batch = failed;
  }
  if (batch.length) throw new Error(`${batch.length} records could not be put`);
}

async function produce() {
  const start = Date.now();
  let next = 0;
  const inFlight = new Set();
  let behindTicks = 0;
  while (next < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) * rate) / 1000));
    if (due > next && inFlight.size < 8) {
      const ids = [];
      for (; next < due && ids.length < 500; next++) ids.push(next);
      const p = putBatch(ids).finally(() => inFlight.delete(p));
      inFlight.add(p);
    } else if (due > next + rate) {
      ++behindTicks;  // more than a second behind schedule: the emulator cannot take the rate
    }
    await sleep(10);
  }
  await Promise.all(inFlight);
  return { putSeconds: (Date.now() - start) / 1000, behindTicks };
}

async function poll(stop) {
  let watermark = -1;  // every id <= watermark is seen
  let polls = 0;
  let busy = 0;
  let seen = 0;
  while (!stop.done || seen < total) {
    if (stop.done && Date.now() > stop.deadline) break;
    let instance;
    try {
      instance = await DuckDBInstance.create(opt.db, { access_mode: 'READ_ONLY' });
    } catch (e) {
      ++busy;  // follow holds the file for a commit
      await sleep(pollMs);
      continue;
    }
    const openedAt = Date.now();
    try {
      const conn = await instance.connect();
      const reader = await conn.runAndReadAll(`SELECT id FROM ${opt.table} WHERE id > ${watermark}`);
      for (const [id] of reader.getRowsJS()) {
        const n = Number(id);
        if (n >= 0 && n < total && Number.isNaN(seenAt[n])) { seenAt[n] = openedAt; ++seen; }
      }
      conn.closeSync();
    } finally {
      instance.closeSync();
    }
    while (watermark + 1 < total && !Number.isNaN(seenAt[watermark + 1])) ++watermark;
    ++polls;
    await sleep(pollMs);
  }
  return { polls, busy, seen };
}

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

(async () => {
  const stop = { done: false, deadline: 0 };
  const reading = poll(stop);
  const produced = await produce();
  stop.done = true;
  stop.deadline = Date.now() + waitMs;
  const read = await reading;
  const lat = [];
  let missing = 0;
  for (let i = 0; i < total; i++) {
    if (Number.isNaN(seenAt[i])) ++missing;
    else lat.push(seenAt[i] - putAt[i]);
  }
  lat.sort((a, b) => a - b);
  const result = {
    bench: 'follow_latency',
    records: total,
    rate_per_s: rate,
    put_seconds: produced.putSeconds,
    achieved_rate_per_s: Math.round(total / produced.putSeconds),
    visible: lat.length,
    missing,
    p50_ms: quantile(lat, 0.5),
    p90_ms: quantile(lat, 0.9),
    p99_ms: quantile(lat, 0.99),
    max_ms: lat.length ? lat[lat.length - 1] : NaN,
    poll_ms: pollMs,
    polls: read.polls,
    polls_locked_out: read.busy,
    put_retries: putFailures,
  };
  process.stdout.write(`put ${total} records in ${produced.putSeconds.toFixed(1)} s ` +
    `(${result.achieved_rate_per_s}/s, target ${rate}/s); ${lat.length} visible, ${missing} missing\n`);
  process.stdout.write(`put -> row visible: p50 ${result.p50_ms} ms, p90 ${result.p90_ms} ms, ` +
    `p99 ${result.p99_ms} ms, max ${result.max_ms} ms (polled every ${pollMs} ms, ` +
    `${read.busy} of ${read.polls + read.busy} opens found the file busy)\n`);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(missing === 0 ? 0 : 1);
})().catch((e) => { process.stderr.write(`follow_latency: ${e.stack || e}\n`); process.exit(1); });
