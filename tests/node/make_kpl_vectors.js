#!/usr/bin/env node
// Writes the KPL aggregation test vectors under tests/data/kpl/ with the independent Node
// implementation (aws-kinesis-agg, the awslabs aggregation library), so the C++ de-aggregator is
// checked against bytes it did not produce itself. Run once; the outputs are committed:
//   node tests/node/make_kpl_vectors.js [output-dir]
// Every vector is also read back with the library's own de-aggregator (MD5 checked) before it is
// written, so a manifest that disagrees with the library cannot be produced.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const agg = require('aws-kinesis-agg');

const outDir = process.argv[2] || path.join(__dirname, '..', 'data', 'kpl');

// One aggregated Kinesis record from `records` ({partitionKey, explicitHashKey?, data}).
function aggregate(records) {
  const aggregator = new agg.RecordAggregator();
  for (const r of records) {
    aggregator.addUserRecord({
      partitionKey: r.partitionKey,
      explicitHashKey: r.explicitHashKey,
      data: Buffer.from(r.data, 'utf8'),
    });
  }
  const encoded = aggregator.build();
  return encoded.data;
}

function deaggregate(buffer) {
  let result;
  agg.deaggregateSync({data: buffer.toString('base64'), sequenceNumber: '1'}, true,
                      (err, userRecords) => {
                        if (err) throw err;
                        result = userRecords;
                      });
  return result;
}

// The library's de-aggregator reads an absent explicit_hash_key_index as 0 (the protobuf
// default) and so reports table entry 0 for every record; presence is checked on the decoded
// protobuf message instead, whose own properties are exactly the fields on the wire.
const {AggregatedRecord} = require('aws-kinesis-agg/lib/common');

function check(name, buffer, records) {
  const back = deaggregate(buffer);
  const message = AggregatedRecord.decode(buffer.subarray(4, buffer.length - 16));
  if (back.length !== records.length) throw new Error(`${name}: ${back.length} records back`);
  back.forEach((u, i) => {
    const want = records[i];
    const data = Buffer.from(u.data, 'base64').toString('utf8');
    if (u.partitionKey !== want.partitionKey || data !== want.data ||
        explicitHashKey(message, i) !== (want.explicitHashKey || null) ||
        u.subSequenceNumber !== i) {
      throw new Error(`${name}: record ${i} differs: ${JSON.stringify(u)}`);
    }
  });
}

function explicitHashKey(message, i) {
  const r = message.records[i];
  if (!Object.prototype.hasOwnProperty.call(r, 'explicit_hash_key_index')) return null;
  return message.explicit_hash_key_table[Number(r.explicit_hash_key_index)];
}

const sensor = (id, status) => JSON.stringify({sensorId: id, status: status});

const vectors = [];

// (a) 3 user records, 2 distinct partition keys, one explicit hash key.
const three = [
  {partitionKey: 'pk-alpha', data: sensor(1, 'ok')},
  {partitionKey: 'pk-beta', explicitHashKey: '170141183460469231731687303715884105728',
   data: sensor(2, 'warn')},
  {partitionKey: 'pk-alpha', data: sensor(3, 'fail')},
];
vectors.push({file: 'agg3.bin', records: three});

// (b) 100 user records over 7 partition keys (multi-byte varints for the record lengths and a
// table longer than one entry).
const hundred = [];
for (let i = 0; i < 100; i++) {
  hundred.push({partitionKey: `device-${i % 7}`, data: sensor(1000 + i, `s${i}`)});
}
vectors.push({file: 'agg100.bin', records: hundred});

// (d) a single user record.
const one = [{partitionKey: 'only-key', data: sensor(42, 'single')}];
vectors.push({file: 'agg1.bin', records: one});

fs.mkdirSync(outDir, {recursive: true});
const manifest = {
  generator: 'tests/node/make_kpl_vectors.js with aws-kinesis-agg ' +
             require('aws-kinesis-agg/package.json').version,
  vectors: [],
};

for (const v of vectors) {
  const buffer = aggregate(v.records);
  check(v.file, buffer, v.records);
  fs.writeFileSync(path.join(outDir, v.file), buffer);
  manifest.vectors.push({
    file: v.file,
    aggregated: true,
    records: v.records.map((r) => ({
      partition_key: r.partitionKey,
      explicit_hash_key: r.explicitHashKey || null,
      data: r.data,
    })),
  });
}

// (c) (a) with its MD5 corrupted: the KCL passes such a record through as a plain record.
{
  const buffer = Buffer.from(fs.readFileSync(path.join(outDir, 'agg3.bin')));
  buffer[buffer.length - 1] ^= 0xff;
  const body = buffer.subarray(4, buffer.length - 16);
  const md5 = crypto.createHash('md5').update(body).digest();
  if (md5.equals(buffer.subarray(buffer.length - 16))) throw new Error('MD5 still matches');
  fs.writeFileSync(path.join(outDir, 'agg3_bad_md5.bin'), buffer);
  manifest.vectors.push({file: 'agg3_bad_md5.bin', aggregated: false, records: []});
}

fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${manifest.vectors.length} vectors to ${outDir}`);
