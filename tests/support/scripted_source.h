// A RecordSource from a script, for the engine's unit tests: shards with records in memory, and
// the faults the emulators cannot produce on demand: records trimmed by retention, throttling
// storms on one shard, iterators that expire. Thread-safe (the engine's readers share it); every
// call is logged so tests can check the order of reads.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/record_source.h"

namespace ki::test {

class ScriptedSource final : public RecordSource {
 public:
  struct Record {
    std::string sequence_number;
    std::string data;
    std::string partition_key = "pk";
  };
  struct Shard {
    ShardInfo info;
    std::vector<Record> records;
    size_t trimmed = 0;         // records before this index are gone
    int throttle_calls = 0;     // the next this many GetRecords calls are throttled
    int expire_calls = 0;       // the next this many GetRecords calls find the iterator expired
    std::vector<ChildShard> children;  // announced at the end of a closed shard
  };

  // Sequence numbers: 56 digits, growing with `n`, distinct per shard prefix.
  static std::string Seq(int shard, int n) {
    std::string s = std::to_string(49000000 + shard) + std::string(40, '0');
    std::string tail = std::to_string(100000 + n);
    return s.substr(0, 56 - tail.size()) + tail;
  }

  void AddShard(const std::string& id, const std::string& parent = "", const std::string& adjacent = "",
                bool closed = false) {
    std::lock_guard lock(mu_);
    Shard& s = shards_[id];
    s.info.shard_id = id;
    s.info.parent_shard_id = parent;
    s.info.adjacent_parent_shard_id = adjacent;
    if (closed) s.info.ending_sequence_number = "9";
    order_.push_back(id);
  }
  void AddRecord(const std::string& shard, const std::string& seq, const std::string& data) {
    std::lock_guard lock(mu_);
    shards_[shard].records.push_back({seq, data});
  }
  void Close(const std::string& shard, std::vector<ChildShard> children) {
    std::lock_guard lock(mu_);
    shards_[shard].info.ending_sequence_number = "9";
    shards_[shard].children = std::move(children);
  }
  void Trim(const std::string& shard, size_t first_kept) {
    std::lock_guard lock(mu_);
    shards_[shard].trimmed = first_kept;
  }
  void Throttle(const std::string& shard, int calls) {
    std::lock_guard lock(mu_);
    shards_[shard].throttle_calls = calls;
  }
  void Expire(const std::string& shard, int calls) {
    std::lock_guard lock(mu_);
    shards_[shard].expire_calls = calls;
  }
  // "GetRecords <shard> <records returned>|throttled|expired|end", in call order.
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int get_records_calls(const std::string& shard) {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(calls_.begin(), calls_.end(), [&](const std::string& c) {
      return c.rfind("GetRecords " + shard + " ", 0) == 0;
    }));
  }

  Result<StreamSummary> DescribeStream(const std::string& stream) override {
    StreamSummary s;
    s.stream_name = stream;
    s.stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream;
    s.stream_status = "ACTIVE";
    s.creation_timestamp_ms = 1764500000000;
    return s;
  }
  Result<std::vector<ShardInfo>> ListShards(const std::string&, const CancellationToken*) override {
    std::lock_guard lock(mu_);
    std::vector<ShardInfo> out;
    for (const auto& id : order_) out.push_back(shards_[id].info);
    return out;
  }
  // Iterators are "<shard>@<index>".
  Result<std::string> GetShardIterator(const std::string&, const std::string& shard_id, const IteratorStart& start,
                                       const CancellationToken*) override {
    std::lock_guard lock(mu_);
    auto it = shards_.find(shard_id);
    if (it == shards_.end()) return NotFound("no shard " + shard_id);
    Shard& s = it->second;
    size_t index = s.trimmed;
    if (start.type == IteratorType::kLatest) index = s.records.size();
    if (start.type == IteratorType::kAtSequenceNumber || start.type == IteratorType::kAfterSequenceNumber) {
      // Like Kinesis for a trimmed record: reading starts at the oldest record still there.
      index = s.records.size();
      for (size_t i = 0; i < s.records.size(); ++i) {
        if (s.records[i].sequence_number == start.sequence_number) {
          index = i + (start.type == IteratorType::kAfterSequenceNumber ? 1 : 0);
          break;
        }
        if (s.records[i].sequence_number > start.sequence_number) {
          index = i;
          break;
        }
      }
      index = std::max(index, s.trimmed);
    }
    calls_.push_back("GetShardIterator " + shard_id);
    return shard_id + "@" + std::to_string(index);
  }
  Result<GetRecordsResult> GetRecords(const std::string& iterator, int limit, const std::string&,
                                      const std::string& shard_id, bool, const CancellationToken*) override {
    std::lock_guard lock(mu_);
    Shard& s = shards_[shard_id];
    if (s.throttle_calls > 0) {
      --s.throttle_calls;
      calls_.push_back("GetRecords " + shard_id + " throttled");
      ErrorDetail d;
      d.aws_error_type = "ProvisionedThroughputExceededException";
      d.retriable = true;
      return Status::Error(ErrorKind::kRetriable, "GetRecords shard '" + shard_id + "': Rate exceeded").WithDetail(d);
    }
    if (s.expire_calls > 0) {
      --s.expire_calls;
      calls_.push_back("GetRecords " + shard_id + " expired");
      return Status::Error(ErrorKind::kExpiredIterator, "GetRecords: iterator expired");
    }
    size_t index = std::stoul(iterator.substr(iterator.find('@') + 1));
    index = std::max(index, s.trimmed);
    GetRecordsResult r;
    size_t end = std::min(s.records.size(), index + static_cast<size_t>(limit));
    std::string& arena = *r.arena;
    size_t need = 0;
    for (size_t i = index; i < end; ++i) need += s.records[i].sequence_number.size() + s.records[i].data.size() + s.records[i].partition_key.size();
    arena.reserve(need);
    std::vector<std::pair<size_t, size_t>> spans;
    for (size_t i = index; i < end; ++i) {
      const Record& rec = s.records[i];
      KinesisRecord k;
      size_t at = arena.size();
      arena += rec.sequence_number;
      arena += rec.data;
      arena += rec.partition_key;
      k.sequence_number = std::string_view(arena).substr(at, rec.sequence_number.size());
      k.data = std::string_view(arena).substr(at + rec.sequence_number.size(), rec.data.size());
      k.partition_key = std::string_view(arena).substr(at + rec.sequence_number.size() + rec.data.size(),
                                                       rec.partition_key.size());
      k.arrival_time_ms = 1764500000000 + static_cast<int64_t>(i);
      r.records.push_back(k);
    }
    r.millis_behind_latest = end < s.records.size() ? 1000 : 0;
    const bool closed = !s.info.ending_sequence_number.empty();
    if (closed && end == s.records.size()) {
      r.child_shards = s.children;
      calls_.push_back("GetRecords " + shard_id + " " + std::to_string(end - index) + " end");
    } else {
      r.next_shard_iterator = shard_id + "@" + std::to_string(end);
      calls_.push_back("GetRecords " + shard_id + " " + std::to_string(end - index));
    }
    return r;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Shard> shards_;
  std::vector<std::string> order_;
  std::vector<std::string> calls_;
};

}  // namespace ki::test
