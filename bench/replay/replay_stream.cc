#include "replay_stream.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <thread>

#include "cbor.h"

namespace replay {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int kCounterDigits = 24;  // the last 24 of the 56 digits count records in the shard

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Digits without leading zeros ("" for zero); nullopt if not all digits.
std::optional<std::string_view> Normalized(std::string_view s) {
  if (s.empty() || s.size() > 129) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  while (!s.empty() && s.front() == '0') s.remove_prefix(1);
  return s;
}

int CompareDecimal(std::string_view a, std::string_view b) {  // both normalized
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// Renders the shards [first, last) of the stream.
void RenderShards(const StreamOptions& o, int64_t created_ms, bool dump,
                  std::vector<std::unique_ptr<Shard>>& shards, std::vector<std::string>& dumps,
                  size_t first, size_t last) {
  std::string payload, line;
  // The records arrived over the hour before the start, evenly spread.
  double step_ms = o.records ? 3600000.0 / static_cast<double>(o.records) : 0;
  for (size_t s = first; s < last; ++s) {
    Shard& shard = *shards[s];
    uint64_t count = o.records / o.shards + (s < o.records % o.shards ? 1 : 0);
    shard.offsets.reserve(count + 1);
    shard.data_bytes.reserve(count + 1);
    shard.arrival_ms.reserve(count);
    shard.offsets.push_back(0);
    shard.data_bytes.push_back(0);
    if (o.cbor) {
      shard.cbor_offsets.reserve(count + 1);
      shard.cbor_offsets.push_back(0);
    }
    uint64_t total_data = 0;
    for (uint64_t k = 0; k < count; ++k) {
      uint64_t index = k * o.shards + s;
      payload.clear();
      AppendPayload(o.dataset, index, payload);
      int64_t arrival = created_ms - 3600000 + static_cast<int64_t>(static_cast<double>(index) * step_ms);
      std::string seq = shard.SequenceNumber(static_cast<int64_t>(k));
      char pk[32];
      int pk_len = std::snprintf(pk, sizeof pk, "pk-%" PRIu64, index);
      std::string& f = shard.fragments;
      f += "{\"SequenceNumber\":\"";
      f += seq;
      char ts[96];
      int ts_len = std::snprintf(ts, sizeof ts, "\",\"ApproximateArrivalTimestamp\":%" PRId64 ".%03" PRId64 ",\"Data\":\"",
                                 arrival / 1000, arrival % 1000);
      f.append(ts, static_cast<size_t>(ts_len));
      AppendBase64(payload, f);
      f += "\",\"PartitionKey\":\"";
      f.append(pk, static_cast<size_t>(pk_len));
      f += "\"},";
      shard.offsets.push_back(f.size());
      if (o.cbor) {
        std::string& c = shard.cbor_records;
        cbor::AppendHead(c, cbor::kMap, 4);
        cbor::AppendText(c, "SequenceNumber");
        cbor::AppendText(c, seq);
        cbor::AppendText(c, "ApproximateArrivalTimestamp");
        cbor::AppendTimestampMs(c, arrival);
        cbor::AppendText(c, "Data");
        cbor::AppendBytes(c, payload);
        cbor::AppendText(c, "PartitionKey");
        cbor::AppendText(c, std::string_view(pk, static_cast<size_t>(pk_len)));
        shard.cbor_offsets.push_back(c.size());
      }
      total_data += payload.size() + static_cast<uint64_t>(pk_len);
      shard.data_bytes.push_back(total_data);
      shard.arrival_ms.push_back(arrival);
      if (dump) {
        // The payload is an object: its closing brace becomes the two metadata keys.
        std::string& d = dumps[s];
        d.append(payload, 0, payload.size() - 1);
        d += ", \"kinesis_shard_id\": \"";
        d += shard.id;
        d += "\", \"shard_sequence_number\": \"";
        d += seq;
        d += "\"}\n";
      }
    }
  }
}

}  // namespace

void AppendBase64(std::string_view in, std::string& out) {
  size_t i = 0, n = in.size();
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= n; i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    char q[4] = {kBase64[v >> 18], kBase64[(v >> 12) & 63], kBase64[(v >> 6) & 63], kBase64[v & 63]};
    out.append(q, 4);
  }
  if (i + 1 == n) {
    uint32_t v = byte(i) << 16;
    char q[4] = {kBase64[v >> 18], kBase64[(v >> 12) & 63], '=', '='};
    out.append(q, 4);
  } else if (i + 2 == n) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    char q[4] = {kBase64[v >> 18], kBase64[(v >> 12) & 63], kBase64[(v >> 6) & 63], '='};
    out.append(q, 4);
  }
}

std::string Shard::SequenceNumber(int64_t k) const {
  char counter[kCounterDigits + 1];
  std::snprintf(counter, sizeof counter, "%024" PRIu64, static_cast<uint64_t>(k + 1));
  return sequence_prefix + counter;
}

std::optional<uint64_t> Shard::PositionOf(std::string_view sequence, bool after) const {
  auto given = Normalized(sequence);
  if (!given) return std::nullopt;
  // Record k has the number prefix * 10^24 + k + 1. Anything below record 0's number starts at
  // 0, anything above the last's after the end; in between it is the counter itself.
  std::string first_s = SequenceNumber(0), last_s = SequenceNumber(static_cast<int64_t>(size()) - 1);
  std::string_view first = *Normalized(first_s), last = *Normalized(last_s);
  if (CompareDecimal(*given, first) < 0) return 0;
  if (size() == 0 || CompareDecimal(*given, last) > 0) return size();
  // Same digit count as first/last and the same 32-digit prefix (first <= given <= last).
  std::string_view counter = sequence.substr(sequence.size() - kCounterDigits);
  uint64_t k = 0;
  for (char c : counter) k = k * 10 + static_cast<uint64_t>(c - '0');
  // k is record (k - 1)'s counter.
  return after ? k : k - 1;
}

uint64_t Shard::PositionAtTime(int64_t epoch_ms) const {
  return static_cast<uint64_t>(std::lower_bound(arrival_ms.begin(), arrival_ms.end(), epoch_ms) -
                               arrival_ms.begin());
}

std::optional<std::string> ReplayStream::Build(const StreamOptions& options,
                                               const std::string& dump_path, ReplayStream& out) {
  out.options_ = options;
  out.created_ms_ = NowMs();
  out.shards_.clear();
  for (int s = 0; s < options.shards; ++s) {
    auto shard = std::make_unique<Shard>();
    char id[32];
    std::snprintf(id, sizeof id, "shardId-%012d", s);
    shard->id = id;
    // "49" like AWS's, then a 24-digit stream tag from the start time, then the shard number.
    char prefix[40];
    std::snprintf(prefix, sizeof prefix, "49%024" PRId64 "%06d", out.created_ms_, s);
    shard->sequence_prefix = prefix;
    out.shards_.push_back(std::move(shard));
  }
  bool dump = !dump_path.empty();
  std::vector<std::string> dumps(dump ? options.shards : 0);
  unsigned workers = std::max(1u, std::min(std::thread::hardware_concurrency(),
                                           static_cast<unsigned>(options.shards)));
  std::vector<std::thread> threads;
  size_t per = (options.shards + workers - 1) / workers;
  for (unsigned w = 0; w < workers; ++w) {
    size_t first = w * per, last = std::min<size_t>(options.shards, first + per);
    if (first >= last) break;
    threads.emplace_back(RenderShards, std::cref(options), out.created_ms_, dump, std::ref(out.shards_),
                         std::ref(dumps), first, last);
  }
  for (auto& t : threads) t.join();
  if (dump) {
    FILE* f = std::fopen(dump_path.c_str(), "wb");
    if (!f) return "cannot create the dump file " + dump_path;
    bool ok = true;
    for (const auto& d : dumps) ok = ok && std::fwrite(d.data(), 1, d.size(), f) == d.size();
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) return "cannot write the dump file " + dump_path;
  }
  return std::nullopt;
}

}  // namespace replay
