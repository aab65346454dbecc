#include "infer/sample.h"

#include <algorithm>
#include <chrono>

namespace ki {
namespace {

// Empty responses behind latest that a shard may return before it counts as caught up: enough to
// step over a stretch of trimmed or empty history, few enough to end a sample of a quiet stream
// within seconds.
constexpr int kMaxEmptyPolls = 20;
constexpr auto kEmptyRoundPause = std::chrono::milliseconds(200);  // 5 GetRecords/s per shard
constexpr int64_t kMaxGetRecordsLimit = 10000;

struct ShardCursor {
  std::string shard_id;
  std::string iterator;
  int empty_polls = 0;
  bool done = false;
};

// Splits an NDJSON user record as the decoder does: lines that are not blank (only spaces, tabs
// or CR), a trailing CR removed.
void AppendLines(std::string_view payload, std::vector<std::string>& out, int64_t limit) {
  size_t start = 0;
  while (start <= payload.size() && static_cast<int64_t>(out.size()) < limit) {
    size_t end = payload.find('\n', start);
    if (end == std::string_view::npos) end = payload.size();
    std::string_view line = payload.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) out.emplace_back(line);
    start = end + 1;
  }
}

}  // namespace

Result<StreamSample> SampleStream(KinesisClient& client, Clock& clock, const SampleOptions& options) {
  if (options.max_records < 1) return InvalidArgument("the sample size must be at least 1");
  // The import's own unpacking: the raw format with one BLOB column hands over each user record's
  // bytes after KPL de-aggregation and gzip inflation, and reports the ones that do not unpack.
  TableSchema raw;
  raw.table = "sample";
  raw.columns.push_back(ColumnSpec{});
  raw.columns[0].name = "payload";
  raw.columns[0].type_name = "BLOB";
  raw.columns[0].type = ColumnType::kBlob;
  PayloadOptions payload_options;
  payload_options.format = PayloadFormat::kRaw;
  KI_ASSIGN_OR_RETURN(PayloadDecoder decoder, PayloadDecoder::Create(raw, DecoderOptions{}, payload_options));

  ListShardsRequest list;
  list.stream_name = options.stream;
  KI_ASSIGN_OR_RETURN(std::vector<ShardInfo> shards, client.ListShards(list));
  std::vector<ShardCursor> cursors;
  for (const auto& shard : shards) {
    KI_ASSIGN_OR_RETURN(std::string iterator,
                        client.GetShardIterator(options.stream, shard.shard_id, options.from));
    cursors.push_back(ShardCursor{shard.shard_id, std::move(iterator), 0, false});
  }

  StreamSample sample;
  sample.shards = cursors.size();
  RowBatch batch(1);
  auto remaining = [&] { return options.max_records - static_cast<int64_t>(sample.records.size()); };
  while (remaining() > 0) {
    const int64_t active = std::count_if(cursors.begin(), cursors.end(), [](const ShardCursor& c) { return !c.done; });
    if (active == 0) break;
    const int64_t share = std::clamp<int64_t>((remaining() + active - 1) / active, 1, kMaxGetRecordsLimit);
    bool round_had_records = false;
    for (auto& cursor : cursors) {
      if (cursor.done || remaining() <= 0) continue;
      KI_ASSIGN_OR_RETURN(GetRecordsResult result,
                          client.GetRecords(cursor.iterator, static_cast<int>(share), options.stream, cursor.shard_id));
      for (const auto& record : result.records) {
        if (remaining() <= 0) break;
        batch.Clear();
        PayloadRecord in;
        in.shard_id = cursor.shard_id;
        in.sequence_number = record.sequence_number;
        in.partition_key = record.partition_key;
        in.arrival_time_us = record.arrival_time_ms * 1000;
        in.data = record.data;
        KI_RETURN_IF_ERROR(decoder
                               .Decode(in, -1, INT64_MAX, batch,
                                       [&](const BadUserRecord&) {
                                         ++sample.unreadable;
                                         return true;
                                       })
                               .status());
        for (size_t row = 0; row < batch.num_rows() && remaining() > 0; ++row) {
          std::string_view user_record = batch.GetString(row, 0);
          if (options.format == PayloadFormat::kNdjson) {
            AppendLines(user_record, sample.records, options.max_records);
          } else {
            sample.records.emplace_back(user_record);
          }
        }
      }
      cursor.iterator = result.next_shard_iterator;
      if (cursor.iterator.empty()) cursor.done = true;  // a closed shard, read to its end
      if (!result.records.empty()) {
        cursor.empty_polls = 0;
        round_had_records = true;
      } else if (result.millis_behind_latest <= 0 || ++cursor.empty_polls > kMaxEmptyPolls) {
        cursor.done = true;
      }
    }
    const bool any_active = std::any_of(cursors.begin(), cursors.end(), [](const ShardCursor& c) { return !c.done; });
    if (!round_had_records && any_active && remaining() > 0) clock.SleepFor(kEmptyRoundPause);
  }
  return sample;
}

}  // namespace ki
