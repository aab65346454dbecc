// Reads a sample of a stream's user records for table inference: up to N records spread over all
// shards, from a start position, never moving any stored position (nothing is written anywhere).
// KPL aggregates and gzip payloads are unpacked by the import's own PayloadDecoder, so the sample
// holds exactly the user records `run` would decode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "decode/payload_decoder.h"
#include "kinesis/kinesis_client.h"

namespace ki {

struct SampleOptions {
  std::string stream;
  IteratorStart from;  // trim_horizon (default), latest, at_timestamp
  int64_t max_records = 1000;  // user records (KPL entries; NDJSON lines with kNdjson), >= 1
  PayloadFormat format = PayloadFormat::kJson;  // kJson or kNdjson
};

struct StreamSample {
  std::vector<std::string> records;  // the user records' JSON text (kNdjson: one per line)
  int64_t unreadable = 0;  // user records that did not unpack (corrupt gzip, broken aggregate)
  size_t shards = 0;       // shards read
};

// Reads the shards in turns, each turn asking every shard that is not caught up for its share of
// what is still wanted, so a sample covers every shard with records and fills up from the others
// when one runs dry. A shard is done when it is caught up (an empty response with
// MillisBehindLatest 0, or the end of a closed shard); an empty response behind latest is
// followed a few times (records may sit further on), pacing at most 5 calls per second per shard.
// Errors: those of ListShards, GetShardIterator and GetRecords (they name stream and shard).
Result<StreamSample> SampleStream(KinesisClient& client, Clock& clock, const SampleOptions& options);

}  // namespace ki
