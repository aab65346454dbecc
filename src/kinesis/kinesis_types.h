// Values exchanged with the Kinesis Data Streams API (JSON 1.1 protocol).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ki {

struct ShardInfo {
  std::string shard_id;
  std::string parent_shard_id;           // empty when none
  std::string adjacent_parent_shard_id;  // empty when none
  std::string starting_hash_key;
  std::string ending_hash_key;
  std::string starting_sequence_number;
  std::string ending_sequence_number;  // empty while the shard is open
  bool is_open() const { return ending_sequence_number.empty(); }
};

struct StreamSummary {
  std::string stream_name;
  std::string stream_arn;
  std::string stream_status;
  std::string stream_mode;  // PROVISIONED / ON_DEMAND, empty when the server does not say
  int64_t open_shard_count = 0;
  int64_t retention_period_hours = 0;
  int64_t creation_timestamp_ms = -1;  // StreamCreationTimestamp; -1 when the server does not say
};

enum class IteratorType {
  kTrimHorizon,
  kLatest,
  kAtSequenceNumber,
  kAfterSequenceNumber,
  kAtTimestamp,
};
const char* IteratorTypeName(IteratorType t);

struct IteratorStart {
  IteratorType type = IteratorType::kTrimHorizon;
  std::string sequence_number;  // AT_/AFTER_SEQUENCE_NUMBER
  double timestamp = 0;         // AT_TIMESTAMP, epoch seconds
};

struct ShardFilter {
  std::string type;  // AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, ...
  std::string shard_id;
  std::optional<double> timestamp;
};

struct ListShardsRequest {
  std::string stream_name;
  std::string stream_arn;  // used instead of the name when set
  std::optional<ShardFilter> filter;
  int max_results = 0;  // 0: server default; page size only, all pages are fetched
};

// One record of a GetRecords response. The views point into the owning GetRecordsResult.
struct KinesisRecord {
  std::string_view sequence_number;
  std::string_view partition_key;
  std::string_view data;  // base64-decoded payload
  int64_t arrival_time_ms = 0;  // ApproximateArrivalTimestamp, epoch milliseconds
  std::string_view encryption_type;
};

struct ChildShard {
  std::string shard_id;
  std::vector<std::string> parent_shards;
};

// Gives a GetRecords arena back to this thread's spare slot instead of freeing it: the next
// response on the thread is decoded into the same (MB-sized) memory, without fresh pages to
// fault in and zero. One spare per thread, at most kMaxSpareArena bytes kept: what threads keep
// is outside the engine's byte budget, so it stays small (the usual answers fit).
struct RecycledArenaDeleter {
  static constexpr size_t kMaxSpareArena = 8u << 20;
  static std::unique_ptr<std::string>& Spare() {
    thread_local std::unique_ptr<std::string> spare;
    return spare;
  }
  void operator()(std::string* arena) const {
    std::unique_ptr<std::string> owned(arena);
    auto& spare = Spare();
    if (!spare && owned->capacity() <= kMaxSpareArena) {
      owned->clear();
      spare = std::move(owned);
    }
  }
};
using GetRecordsArena = std::unique_ptr<std::string, RecycledArenaDeleter>;
// This thread's spare arena (empty), or a new one.
inline GetRecordsArena NewGetRecordsArena() {
  auto& spare = RecycledArenaDeleter::Spare();
  return GetRecordsArena(spare ? spare.release() : new std::string());
}

class GetRecordsResult {
 public:
  GetRecordsResult() = default;
  GetRecordsResult(GetRecordsResult&&) = default;
  GetRecordsResult& operator=(GetRecordsResult&&) = default;
  GetRecordsResult(const GetRecordsResult&) = delete;

  std::vector<KinesisRecord> records;
  std::string next_shard_iterator;  // empty: the shard is closed and fully read
  int64_t millis_behind_latest = -1;  // -1 when the server did not say
  std::vector<ChildShard> child_shards;
  // Owns the bytes the records' views point into. Internal to the parser. Held through a pointer
  // so that moving the result (short strings live inside std::string) never moves the bytes.
  GetRecordsArena arena = NewGetRecordsArena();
};

struct PutRecordsEntry {
  std::string data;  // raw bytes (encoded to base64 on the wire)
  std::string partition_key;
  std::string explicit_hash_key;  // optional
};

struct PutRecordsEntryResult {
  bool ok = false;
  std::string shard_id;
  std::string sequence_number;
  std::string error_code;
  std::string error_message;
};

}  // namespace ki
