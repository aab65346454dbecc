#include "kinesis_api.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "cbor.h"

namespace replay {
namespace {

using simdjson::dom::element;

constexpr uint64_t kMaxRecordsPerCall = 10000;
constexpr uint64_t kMaxBytesPerCall = 10 * 1024 * 1024;
constexpr double kBytesPerSecond = 2.0 * 1024 * 1024;
constexpr int kDefaultListShards = 1000;
constexpr int kMaxListShards = 10000;
constexpr char kAccount[] = "000000000000";

// An error answer: HTTP 400 with {"__type": type, "message": message}, in JSON or CBOR.
void Error(ApiResponse& r, bool cbor, const char* type, const std::string& message) {
  r.status = 400;
  if (cbor) {
    r.head.clear();
    cbor::AppendHead(r.head, cbor::kMap, 2);
    cbor::AppendText(r.head, "__type");
    cbor::AppendText(r.head, type);
    cbor::AppendText(r.head, "message");
    cbor::AppendText(r.head, message);
  } else {
    r.head = std::string("{\"__type\":\"") + type + "\",\"message\":\"" + message + "\"}";
  }
  r.middle = {};
  r.tail.clear();
}

// A JSON request: the fields the operations read, from the simdjson DOM.
struct JsonRequest {
  static constexpr bool kCbor = false;
  element e;

  std::string_view Str(const char* key) const {
    std::string_view s;
    if (e[key].get_string().get(s)) return {};
    return s;
  }

  bool Int(const char* key, int64_t& out) const {
    element v;
    if (e[key].get(v) || v.is_null()) return false;
    if (!v.get_int64().get(out)) return true;
    double d;
    if (!v.get_double().get(d)) { out = static_cast<int64_t>(d); return true; }
    return false;
  }

  // AT_TIMESTAMP's Timestamp (epoch seconds, a number) as epoch ms; false when missing.
  bool TimestampMs(int64_t& ms) const {
    element ts;
    double seconds;
    if (e["Timestamp"].get(ts) || ts.get_double().get(seconds)) {
      int64_t whole;
      if (ts.get_int64().get(whole)) return false;
      seconds = static_cast<double>(whole);
    }
    ms = static_cast<int64_t>(seconds * 1000.0);
    return true;
  }
};

// A double to int64 without undefined behaviour: truncated, saturated, NaN -> INT64_MIN.
int64_t Saturate(double d) {
  if (!(d > -9.2e18)) return INT64_MIN;
  if (d >= 9.2e18) return INT64_MAX;
  return static_cast<int64_t>(d);
}

// A CBOR request (application/x-amz-cbor-1.1): one map with text keys.
struct CborRequest {
  static constexpr bool kCbor = true;
  const cbor::Map& m;

  std::string_view Str(const char* key) const {
    const cbor::Value* v = m.Find(key);
    return v && v->kind == cbor::Value::kText ? v->text : std::string_view{};
  }

  bool Int(const char* key, int64_t& out) const {
    const cbor::Value* v = m.Find(key);
    if (!v || v->epoch_tag) return false;
    if (v->kind == cbor::Value::kInt) { out = v->integer; return true; }
    if (v->kind == cbor::Value::kFloat) { out = Saturate(v->real); return true; }
    return false;
  }

  // Timestamp as the AWS SDKs write it in CBOR: tag 1 + integer epoch milliseconds (the same
  // shape as the answers' ApproximateArrivalTimestamp). Tag 1 + float and an untagged number are
  // epoch seconds (RFC 8949's tag 1, and the JSON field's unit).
  bool TimestampMs(int64_t& ms) const {
    const cbor::Value* v = m.Find("Timestamp");
    if (!v) return false;
    if (v->kind == cbor::Value::kInt) {
      if (v->epoch_tag) ms = v->integer;
      else ms = Saturate(static_cast<double>(v->integer) * 1000.0);
      return true;
    }
    if (v->kind == cbor::Value::kFloat) { ms = Saturate(v->real * 1000.0); return true; }
    return false;
  }
};

// Iterators are "<shard>-<position>" behind a tag, opaque to clients like AWS's.
std::string MakeIterator(size_t shard, uint64_t position) {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "AAAAreplay-%zu-%" PRIu64, shard, position);
  return std::string(buf, static_cast<size_t>(n));
}

bool ParseIterator(std::string_view it, size_t& shard, uint64_t& position) {
  constexpr std::string_view kTag = "AAAAreplay-";
  if (!it.starts_with(kTag)) return false;
  it.remove_prefix(kTag.size());
  auto dash = it.find('-');
  if (dash == std::string_view::npos) return false;
  auto a = std::from_chars(it.data(), it.data() + dash, shard);
  auto b = std::from_chars(it.data() + dash + 1, it.data() + it.size(), position);
  return a.ec == std::errc() && a.ptr == it.data() + dash && b.ec == std::errc() &&
         b.ptr == it.data() + it.size();
}

bool ShardIndex(ReplayStream& stream, std::string_view id, size_t& index) {
  constexpr std::string_view kPrefix = "shardId-";
  if (!id.starts_with(kPrefix) || id.size() != kPrefix.size() + 12) return false;
  auto r = std::from_chars(id.data() + kPrefix.size(), id.data() + id.size(), index);
  return r.ec == std::errc() && r.ptr == id.data() + id.size() && index < stream.shard_count();
}

// --aws-limits: at most 5 GetRecords calls in any second, and reads paid from a 2 MB/s credit
// that may go negative (AWS lets one large read through, then throttles until it is paid off).
bool Throttled(Shard& shard) {
  auto now = std::chrono::steady_clock::now();
  ShardThrottle& t = shard.throttle;
  if (t.credited_at.time_since_epoch().count() != 0) {
    double seconds = std::chrono::duration<double>(now - t.credited_at).count();
    t.byte_credit = std::min(kBytesPerSecond, t.byte_credit + seconds * kBytesPerSecond);
  }
  t.credited_at = now;
  if (t.byte_credit < 0) return true;
  auto& oldest = t.calls[t.next_call];
  if (oldest.time_since_epoch().count() != 0 && now - oldest < std::chrono::seconds(1)) return true;
  oldest = now;
  t.next_call = (t.next_call + 1) % 5;
  return false;
}

}  // namespace

std::string KinesisApi::Arn() const {
  return std::string("arn:aws:kinesis:us-east-1:") + kAccount + ":stream/" + stream_.options().name;
}

template <class Request>
bool KinesisApi::CheckStream(const Request& request, ApiResponse& response) {
  std::string_view name = request.Str("StreamName"), arn = request.Str("StreamARN");
  if ((!name.empty() && name == stream_.options().name) || (!arn.empty() && arn == Arn())) return true;
  std::string what = !name.empty() ? std::string(name) : std::string(arn);
  Error(response, Request::kCbor, "ResourceNotFoundException",
        "Stream " + what + " under account " + kAccount + " not found.");
  return false;
}

void KinesisApi::Handle(std::string_view target, std::string_view body, bool cbor_body,
                        simdjson::dom::parser& parser, ApiResponse& response) {
  response = ApiResponse{};
  if (cbor_body && !stream_.options().cbor) {
    Error(response, false, "UnknownOperationException",
          "start kinesis-replay with --cbor to serve application/x-amz-cbor-1.1");
    return;
  }
  response.cbor = cbor_body;
  constexpr std::string_view kPrefix = "Kinesis_20131202.";
  if (!target.starts_with(kPrefix)) {
    Error(response, cbor_body, "UnknownOperationException", "X-Amz-Target must be Kinesis_20131202.<Operation>");
    return;
  }
  std::string_view op = target.substr(kPrefix.size());
  if (cbor_body) {
    cbor::Map map;
    if (!cbor::DecodeRequest(body, map)) {
      Error(response, true, "SerializationException", "the request body is not a CBOR map with text-string keys");
      return;
    }
    Dispatch(op, CborRequest{map}, response);
    return;
  }
  element request;
  if (parser.parse(body.data(), body.size()).get(request) || !request.is_object()) {
    Error(response, false, "SerializationException", "the request body is not a JSON object");
    return;
  }
  Dispatch(op, JsonRequest{request}, response);
}

template <class Request>
void KinesisApi::Dispatch(std::string_view op, const Request& request, ApiResponse& response) {
  if (op == "GetRecords") GetRecords(request, response);
  else if (op == "ListShards") ListShards(request, response);
  else if (op == "GetShardIterator") GetShardIterator(request, response);
  else if (op == "DescribeStreamSummary") DescribeStreamSummary(request, response);
  else Error(response, Request::kCbor, "UnknownOperationException", "kinesis-replay does not implement " + std::string(op));
}

template <class Request>
void KinesisApi::ListShards(const Request& request, ApiResponse& response) {
  constexpr bool kCbor = Request::kCbor;
  std::string_view token = request.Str("NextToken");
  size_t start = 0;
  if (!token.empty()) {
    // As on AWS, a NextToken carries the stream: StreamName must not be sent with it.
    if (!request.Str("StreamName").empty() || !request.Str("StreamARN").empty()) {
      Error(response, kCbor, "InvalidArgumentException", "NextToken and StreamName cannot be provided together.");
      return;
    }
    std::string expect = "replay-list-" + stream_.options().name + "-";
    if (!token.starts_with(expect) ||
        std::from_chars(token.data() + expect.size(), token.data() + token.size(), start).ec != std::errc()) {
      Error(response, kCbor, "InvalidArgumentException", "invalid NextToken");
      return;
    }
  } else {
    if (!CheckStream(request, response)) return;
    std::string_view exclusive = request.Str("ExclusiveStartShardId");
    size_t index;
    if (!exclusive.empty() && ShardIndex(stream_, exclusive, index)) start = index + 1;
  }
  int64_t max = kDefaultListShards;
  if (request.Int("MaxResults", max) && (max < 1 || max > kMaxListShards)) {
    Error(response, kCbor, "InvalidArgumentException", "MaxResults must be between 1 and 10000");
    return;
  }
  size_t end = std::min(stream_.shard_count(), start + static_cast<size_t>(max));
  std::string& out = response.head;
  if constexpr (kCbor) {
    // A NextToken from beyond the last shard: no shards.
    start = std::min(start, end);
    cbor::AppendHead(out, cbor::kMap, end < stream_.shard_count() ? 2 : 1);
    cbor::AppendText(out, "Shards");
    cbor::AppendHead(out, cbor::kArray, end - start);
  } else {
    out = "{\"Shards\":[";
  }
  // Each shard owns an equal slice of the 128-bit hash key space.
  unsigned __int128 space = ~static_cast<unsigned __int128>(0), width = space / stream_.shard_count();
  auto decimal = [](unsigned __int128 v) {
    char buf[48];
    int i = 47;
    buf[i] = 0;
    do { buf[--i] = static_cast<char>('0' + static_cast<int>(v % 10)); v /= 10; } while (v);
    return std::string(buf + i);
  };
  for (size_t s = start; s < end; ++s) {
    Shard& shard = stream_.shard(s);
    unsigned __int128 lo = width * s, hi = s + 1 == stream_.shard_count() ? space : width * (s + 1) - 1;
    if constexpr (kCbor) {
      cbor::AppendHead(out, cbor::kMap, 3);
      cbor::AppendText(out, "ShardId");
      cbor::AppendText(out, shard.id);
      cbor::AppendText(out, "HashKeyRange");
      cbor::AppendHead(out, cbor::kMap, 2);
      cbor::AppendText(out, "StartingHashKey");
      cbor::AppendText(out, decimal(lo));
      cbor::AppendText(out, "EndingHashKey");
      cbor::AppendText(out, decimal(hi));
      cbor::AppendText(out, "SequenceNumberRange");
      cbor::AppendHead(out, cbor::kMap, 1);
      cbor::AppendText(out, "StartingSequenceNumber");
      cbor::AppendText(out, shard.SequenceNumber(-1));
      continue;
    }
    if (s != start) out += ',';
    out += "{\"ShardId\":\"" + shard.id + "\",\"HashKeyRange\":{\"StartingHashKey\":\"" + decimal(lo) +
           "\",\"EndingHashKey\":\"" + decimal(hi) + "\"},\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"" +
           shard.SequenceNumber(-1) + "\"}}";
  }
  if constexpr (kCbor) {
    if (end < stream_.shard_count()) {
      cbor::AppendText(out, "NextToken");
      cbor::AppendText(out, "replay-list-" + stream_.options().name + "-" + std::to_string(end));
    }
    return;
  }
  out += ']';
  if (end < stream_.shard_count())
    out += ",\"NextToken\":\"replay-list-" + stream_.options().name + "-" + std::to_string(end) + "\"";
  out += '}';
}

template <class Request>
void KinesisApi::DescribeStreamSummary(const Request& request, ApiResponse& response) {
  if (!CheckStream(request, response)) return;
  if constexpr (Request::kCbor) {
    std::string& out = response.head;
    cbor::AppendHead(out, cbor::kMap, 1);
    cbor::AppendText(out, "StreamDescriptionSummary");
    cbor::AppendHead(out, cbor::kMap, 10);
    cbor::AppendText(out, "StreamName");
    cbor::AppendText(out, stream_.options().name);
    cbor::AppendText(out, "StreamARN");
    cbor::AppendText(out, Arn());
    cbor::AppendText(out, "StreamStatus");
    cbor::AppendText(out, "ACTIVE");
    cbor::AppendText(out, "StreamModeDetails");
    cbor::AppendHead(out, cbor::kMap, 1);
    cbor::AppendText(out, "StreamMode");
    cbor::AppendText(out, "PROVISIONED");
    cbor::AppendText(out, "RetentionPeriodHours");
    cbor::AppendInt(out, 24);
    cbor::AppendText(out, "StreamCreationTimestamp");
    cbor::AppendTimestampMs(out, stream_.created_ms());
    cbor::AppendText(out, "EnhancedMonitoring");
    cbor::AppendHead(out, cbor::kArray, 1);
    cbor::AppendHead(out, cbor::kMap, 1);
    cbor::AppendText(out, "ShardLevelMetrics");
    cbor::AppendHead(out, cbor::kArray, 0);
    cbor::AppendText(out, "EncryptionType");
    cbor::AppendText(out, "NONE");
    cbor::AppendText(out, "OpenShardCount");
    cbor::AppendInt(out, static_cast<int64_t>(stream_.shard_count()));
    cbor::AppendText(out, "ConsumerCount");
    cbor::AppendInt(out, 0);
    return;
  }
  char created[32];
  std::snprintf(created, sizeof created, "%" PRId64 ".%03" PRId64, stream_.created_ms() / 1000,
                stream_.created_ms() % 1000);
  response.head = "{\"StreamDescriptionSummary\":{\"StreamName\":\"" + stream_.options().name +
                  "\",\"StreamARN\":\"" + Arn() +
                  "\",\"StreamStatus\":\"ACTIVE\",\"StreamModeDetails\":{\"StreamMode\":\"PROVISIONED\"},"
                  "\"RetentionPeriodHours\":24,\"StreamCreationTimestamp\":" + created +
                  ",\"EnhancedMonitoring\":[{\"ShardLevelMetrics\":[]}],\"EncryptionType\":\"NONE\","
                  "\"OpenShardCount\":" + std::to_string(stream_.shard_count()) + ",\"ConsumerCount\":0}}";
}

template <class Request>
void KinesisApi::GetShardIterator(const Request& request, ApiResponse& response) {
  constexpr bool kCbor = Request::kCbor;
  if (!CheckStream(request, response)) return;
  std::string_view id = request.Str("ShardId"), type = request.Str("ShardIteratorType");
  size_t index;
  if (!ShardIndex(stream_, id, index)) {
    Error(response, kCbor, "ResourceNotFoundException",
          "Shard " + std::string(id) + " in stream " + stream_.options().name + " under account " +
              kAccount + " does not exist");
    return;
  }
  Shard& shard = stream_.shard(index);
  uint64_t position;
  if (type == "TRIM_HORIZON") {
    position = 0;
  } else if (type == "LATEST") {
    position = shard.size();
  } else if (type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER") {
    auto p = shard.PositionOf(request.Str("StartingSequenceNumber"), type == "AFTER_SEQUENCE_NUMBER");
    if (!p) {
      Error(response, kCbor, "InvalidArgumentException", "StartingSequenceNumber must be a decimal sequence number");
      return;
    }
    position = *p;
  } else if (type == "AT_TIMESTAMP") {
    int64_t ms;
    if (!request.TimestampMs(ms)) {
      Error(response, kCbor, "InvalidArgumentException", "AT_TIMESTAMP needs a Timestamp (epoch seconds)");
      return;
    }
    position = shard.PositionAtTime(ms);
  } else {
    Error(response, kCbor, "InvalidArgumentException", "unknown ShardIteratorType " + std::string(type));
    return;
  }
  if constexpr (kCbor) {
    cbor::AppendHead(response.head, cbor::kMap, 1);
    cbor::AppendText(response.head, "ShardIterator");
    cbor::AppendText(response.head, MakeIterator(index, position));
  } else {
    response.head = "{\"ShardIterator\":\"" + MakeIterator(index, position) + "\"}";
  }
}

template <class Request>
void KinesisApi::GetRecords(const Request& request, ApiResponse& response) {
  constexpr bool kCbor = Request::kCbor;
  size_t index;
  uint64_t position;
  if (!ParseIterator(request.Str("ShardIterator"), index, position) || index >= stream_.shard_count()) {
    Error(response, kCbor, "InvalidArgumentException", "ShardIterator is not a valid iterator of this stream");
    return;
  }
  int64_t limit = kMaxRecordsPerCall;
  if (request.Int("Limit", limit) && (limit < 1 || limit > static_cast<int64_t>(kMaxRecordsPerCall))) {
    Error(response, kCbor, "ValidationException",
          "1 validation error detected: Value '" + std::to_string(limit) +
              "' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000");
    return;
  }
  Shard& shard = stream_.shard(index);
  position = std::min(position, shard.size());
  // The records: at most `limit`, and at most 10 MB of data, but always at least one.
  uint64_t end = std::min<uint64_t>(shard.size(), position + static_cast<uint64_t>(limit));
  uint64_t budget_end = static_cast<uint64_t>(
      std::upper_bound(shard.data_bytes.begin() + static_cast<int64_t>(position) + 1,
                       shard.data_bytes.begin() + static_cast<int64_t>(end) + 1,
                       shard.data_bytes[position] + kMaxBytesPerCall) -
      shard.data_bytes.begin() - 1);
  end = std::max(std::min(end, budget_end), std::min(end, position + 1));
  if (stream_.options().aws_limits) {
    std::lock_guard lock(shard.mu);
    if (Throttled(shard)) {
      Error(response, kCbor, "ProvisionedThroughputExceededException",
            "Rate exceeded for shard " + shard.id + " in stream " + stream_.options().name +
                " under account " + kAccount + ".");
      return;
    }
    shard.throttle.byte_credit -= static_cast<double>(shard.data_bytes[end] - shard.data_bytes[position]);
  }
  int64_t behind = end == 0 || end >= shard.size() ? 0 : shard.arrival_ms.back() - shard.arrival_ms[end - 1];
  if constexpr (kCbor) {
    // {"Records": [<the records' pre-rendered maps>], "NextShardIterator": ..., "MillisBehindLatest": ...}
    cbor::AppendHead(response.head, cbor::kMap, 3);
    cbor::AppendText(response.head, "Records");
    cbor::AppendHead(response.head, cbor::kArray, end - position);
    response.middle = std::string_view(shard.cbor_records)
                          .substr(shard.cbor_offsets[position], shard.cbor_offsets[end] - shard.cbor_offsets[position]);
    cbor::AppendText(response.tail, "NextShardIterator");
    cbor::AppendText(response.tail, MakeIterator(index, end));
    cbor::AppendText(response.tail, "MillisBehindLatest");
    cbor::AppendInt(response.tail, behind);
    return;
  }
  response.head = "{\"Records\":[";
  if (end > position)  // without the last fragment's trailing comma
    response.middle = std::string_view(shard.fragments)
                          .substr(shard.offsets[position], shard.offsets[end] - shard.offsets[position] - 1);
  response.tail = "],\"NextShardIterator\":\"" + MakeIterator(index, end) +
                  "\",\"MillisBehindLatest\":" + std::to_string(behind) + "}";
}

}  // namespace replay
