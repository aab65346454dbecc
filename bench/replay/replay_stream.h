// The stream kinesis-replay serves: every record rendered once, at start, as the JSON fragment a
// GetRecords response carries ({"SequenceNumber":...,"Data":"<base64>",...}), stored back to back
// per shard, so that a response is three pieces of memory written with one writev. With --cbor,
// also as its CBOR map, likewise.
#pragma once

#include <chrono>
#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets.h"

namespace replay {

struct StreamOptions {
  std::string name;
  int shards = 1;
  uint64_t records = 0;  // over the whole stream; record i goes to shard i % shards
  Dataset dataset = Dataset::kSensor;
  bool aws_limits = false;  // 5 GetRecords calls/s and 2 MB/s per shard, as AWS enforces
  bool cbor = false;        // also render every record as CBOR (application/x-amz-cbor-1.1)
};

// Per-shard throughput accounting for --aws-limits (guarded by Shard::mu).
struct ShardThrottle {
  std::chrono::steady_clock::time_point calls[5]{};  // the last five GetRecords calls, a ring
  int next_call = 0;
  double byte_credit = 2.0 * 1024 * 1024;  // may go negative after a large read, as on AWS
  std::chrono::steady_clock::time_point credited_at{};
};

struct Shard {
  std::string id;               // shardId-000000000000
  std::string sequence_prefix;  // the first 32 of the 56 digits, fixed per shard
  std::string fragments;        // record k's JSON fragment followed by ','
  std::vector<uint64_t> offsets;     // k -> start of record k in fragments; size records + 1
  // Only with --cbor (empty otherwise): record k's CBOR map ({SequenceNumber, ApproximateArrival-
  // Timestamp: tag 1 + epoch ms, Data: byte string, PartitionKey}) back to back, no separator.
  std::string cbor_records;
  std::vector<uint64_t> cbor_offsets;  // k -> start of record k in cbor_records; size records + 1
  std::vector<uint64_t> data_bytes;  // prefix sums of Data + PartitionKey bytes; size records + 1
  std::vector<int64_t> arrival_ms;   // ApproximateArrivalTimestamp of record k, epoch ms
  std::mutex mu;
  ShardThrottle throttle;

  uint64_t size() const { return arrival_ms.size(); }
  // The 56-digit sequence number of record k (k may be -1: the shard's starting number, below
  // every record's).
  std::string SequenceNumber(int64_t k) const;
  // The position (index of the first record to return) for AT_/AFTER_SEQUENCE_NUMBER; nullopt
  // when `sequence` is not a decimal number.
  std::optional<uint64_t> PositionOf(std::string_view sequence, bool after) const;
  // The first record that arrived at or after `epoch_ms`.
  uint64_t PositionAtTime(int64_t epoch_ms) const;
};

class ReplayStream {
 public:
  // Renders every record (on all cores). When dump_path is not empty, also writes the NDJSON
  // dump; returns an error message on failure to write it.
  static std::optional<std::string> Build(const StreamOptions& options, const std::string& dump_path,
                                          ReplayStream& out);

  const StreamOptions& options() const { return options_; }
  Shard& shard(size_t i) { return *shards_[i]; }
  size_t shard_count() const { return shards_.size(); }
  int64_t created_ms() const { return created_ms_; }

 private:
  StreamOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;  // Shard holds a mutex: not movable
  int64_t created_ms_ = 0;
};

// Appends standard padded base64 of `in` to `out`. (Written here rather than taken from
// src/common: the source under test and the yardstick do not share code.)
void AppendBase64(std::string_view in, std::string& out);

}  // namespace replay
