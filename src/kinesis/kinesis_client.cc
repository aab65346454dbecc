#include "kinesis/kinesis_client.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "aws/sigv4.h"
#include "common/base64.h"
#include "common/json_tokens.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "kinesis/cbor.h"
#include "kinesis/get_records_parse.h"

namespace ki {

const char* IteratorTypeName(IteratorType t) {
  switch (t) {
    case IteratorType::kTrimHorizon: return "TRIM_HORIZON";
    case IteratorType::kLatest: return "LATEST";
    case IteratorType::kAtSequenceNumber: return "AT_SEQUENCE_NUMBER";
    case IteratorType::kAfterSequenceNumber: return "AFTER_SEQUENCE_NUMBER";
    case IteratorType::kAtTimestamp: return "AT_TIMESTAMP";
  }
  return "";
}

namespace {

// The largest response body a thread keeps for its next call (see KinesisClient::Call).
constexpr size_t kMaxKeptResponseBody = size_t{8} << 20;

using simdjson::dom::element;
using simdjson::dom::object;

// Missing fields and explicit nulls both read as "absent".
std::string_view StringField(element obj, const char* key) {
  std::string_view s;
  if (obj[key].get_string().get(s)) return {};
  return s;
}

std::optional<double> NumberField(element obj, const char* key) {
  element e;
  if (obj[key].get(e) || e.is_null()) return std::nullopt;
  double d;
  if (!e.get_double().get(d)) return d;
  int64_t i;
  if (!e.get_int64().get(i)) return static_cast<double>(i);
  uint64_t u;
  if (!e.get_uint64().get(u)) return static_cast<double>(u);
  return std::nullopt;
}

Status ParseError(std::string_view what, simdjson::error_code err) {
  return Status::Error(ErrorKind::kRetriable, "unreadable " + std::string(what) +
                                                  " response: " + simdjson::error_message(err));
}

// simdjson copies the body with memcpy, which must not get a null pointer even for 0 bytes: an
// empty std::string_view may have one (found by fuzz/get_records_fuzz.cc).
const char* BodyBytes(std::string_view body) { return body.data() != nullptr ? body.data() : ""; }

std::string FormatTimestamp(double epoch_seconds) {
  // The JSON protocol takes timestamps as epoch seconds (a number).
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", epoch_seconds);
  return buf;
}

}  // namespace

namespace {

namespace od = simdjson::ondemand;

// A string value's text. Kinesis never escapes inside its sequence numbers, keys, iterators or
// base64 Data, so the usual answer is a view straight into the body (no copy into simdjson's
// string buffer); a value with an escape is unescaped by simdjson. Explicit nulls and values of
// another type read as absent (empty), as the DOM parser this replaced did.
simdjson::error_code StringValue(od::value value, std::string_view* out) {
  *out = {};
  // The token runs to the next structural character: the string, its closing quote, and any
  // whitespace after it.
  std::string_view token = TrimTrailingSpace(value.raw_json_token());
  if (token.empty() || token.front() != '"') return simdjson::SUCCESS;
  if (token.size() < 2 || token.back() != '"') return value.get_string().get(*out);
  token = token.substr(1, token.size() - 2);
  if (std::memchr(token.data(), '\\', token.size()) == nullptr) {
    *out = token;
    return simdjson::SUCCESS;
  }
  return value.get_string().get(*out);
}

// ApproximateArrivalTimestamp (epoch seconds with a fraction) in milliseconds. The usual text,
// plain digits with at most a few decimals ("1764590000.123"), is converted exactly from its
// digits (rounded half up at the fourth decimal); anything else (an exponent, a sign, a huge
// value) goes through a double as before. 0 for null or another type.
int64_t ArrivalMs(od::value value) {
  const std::string_view t = TrimTrailingSpace(value.raw_json_token());
  size_t i = 0;
  int64_t whole = 0;
  while (i < t.size() && i < 15 && t[i] >= '0' && t[i] <= '9') whole = whole * 10 + (t[i++] - '0');
  bool plain = i > 0 && (i == t.size() || t[i] == '.');
  int64_t ms = whole * 1000;
  if (plain && i < t.size()) {
    ++i;  // '.'
    const size_t first = i;
    int64_t frac = 0;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
      const size_t k = i - first;
      if (k < 3) frac = frac * 10 + (t[i] - '0');
      else if (k == 3 && t[i] >= '5') frac += 1;  // rounding carries at most into ms
    }
    const size_t digits = i - first;
    for (size_t k = digits; k < 3; ++k) frac *= 10;
    if (digits == 0 || i != t.size()) plain = false;
    ms += frac;
  }
  if (plain) return ms;
  double d;
  if (value.get_double().get(d) == simdjson::SUCCESS) return SaturatingInt64(std::round(d * 1000.0));
  return 0;
}

// A number (integer or not), or nullopt for null / another type.
std::optional<double> NumberValue(od::value value) {
  double d;
  if (value.get_double().get(d) == simdjson::SUCCESS) return d;
  return std::nullopt;
}

// One record object of GetRecords' "Records" into the arena, as offsets (get_records_parse.h).

Status ParseRecord(od::object record, std::string& arena, RecordOffsets& o) {
  std::string_view seq, key, data, enc;
  o.arrival_ms = 0;
  for (auto field_result : record) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return ParseError("GetRecords", err);
    std::string_view name;
    if (auto err = FieldKey(field, &name)) return ParseError("GetRecords", err);
    simdjson::error_code err = simdjson::SUCCESS;
    if (name == "Data") err = StringValue(field.value(), &data);
    else if (name == "SequenceNumber") err = StringValue(field.value(), &seq);
    else if (name == "PartitionKey") err = StringValue(field.value(), &key);
    else if (name == "ApproximateArrivalTimestamp") o.arrival_ms = ArrivalMs(field.value());
    else if (name == "EncryptionType") err = StringValue(field.value(), &enc);
    if (err) return ParseError("GetRecords", err);
  }
  if (seq.empty()) return InternalError("GetRecords response has a record without SequenceNumber");
  o.seq = arena.size();
  o.seq_len = seq.size();
  arena.append(seq);
  o.key = arena.size();
  o.key_len = key.size();
  arena.append(key);
  o.enc = arena.size();
  o.enc_len = enc.size();
  arena.append(enc);
  o.data = arena.size();
  if (!Base64Decode(data, arena))
    return InternalError("GetRecords response: record " + std::string(seq) + " has Data that is not valid base64");
  o.data_len = arena.size() - o.data;
  return Status::Ok();
}

Status ParseChildShards(od::array children, std::vector<ChildShard>& out) {
  for (auto child_result : children) {
    od::object c;
    if (child_result.get_object().get(c)) continue;  // not an object: nothing to learn from it
    ChildShard child;
    for (auto field_result : c) {
      od::field field;
      if (auto err = std::move(field_result).get(field)) return ParseError("GetRecords", err);
      std::string_view name;
      if (auto err = FieldKey(field, &name)) return ParseError("GetRecords", err);
      if (name == "ShardId") {
        std::string_view id;
        if (auto err = StringValue(field.value(), &id)) return ParseError("GetRecords", err);
        child.shard_id = std::string(id);
      } else if (name == "ParentShards") {
        od::array parents;
        if (field.value().get_array().get(parents)) continue;
        for (auto p : parents) {
          od::value v;
          if (auto err = p.get(v)) return ParseError("GetRecords", err);
          std::string_view s;
          if (auto err = StringValue(v, &s)) return ParseError("GetRecords", err);
          if (!s.empty()) child.parent_shards.emplace_back(s);
        }
      }
    }
    out.push_back(std::move(child));
  }
  return Status::Ok();
}

}  // namespace

// On-Demand rather than DOM: the body is mostly base64 Data, which DOM would copy into its string
// buffer and index on its tape before Base64Decode reads it again; here Data is decoded straight
// from the body (docs/performance.md has the before/after figures).
Result<GetRecordsResult> ParseGetRecordsResponse(std::string_view body, bool padded) {
  // A thread-local parser: GetRecords runs on every shard reader thread, in a hot loop. Its
  // capacity grows with headroom: answers differ by a few bytes, and an exact fit would mean
  // fresh (page-faulted) index memory each time a slightly larger one arrives.
  thread_local od::parser parser;
  simdjson::padded_string copy;
  const char* bytes = BodyBytes(body);
  size_t capacity = body.size() + simdjson::SIMDJSON_PADDING;
  if (!padded || body.data() == nullptr) {
    copy = simdjson::padded_string(bytes, body.size());
    bytes = copy.data();
  }
  if (parser.capacity() < body.size()) {
    if (auto err = parser.allocate(body.size() + body.size() / 4 + 4096)) return ParseError("GetRecords", err);
  }
  od::document doc;
  if (auto err = parser.iterate(bytes, body.size(), capacity).get(doc)) return ParseError("GetRecords", err);
  od::object top;
  if (auto err = doc.get_object().get(top)) return ParseError("GetRecords", err);

  GetRecordsResult result;
  std::string& arena = *result.arena;
  // Everything the arena receives (sequence numbers, keys, decoded Data) is shorter than its
  // text in the body: reserving that much means the arena never regrows (and copies) mid-parse.
  arena.reserve(body.size());
  // Reused per thread: a 10,000-record answer would otherwise allocate ~700 KB here per call.
  thread_local std::vector<RecordOffsets> offsets;
  offsets.clear();
  for (auto field_result : top) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return ParseError("GetRecords", err);
    std::string_view name;
    if (auto err = FieldKey(field, &name)) return ParseError("GetRecords", err);
    if (name == "Records") {
      od::array records;
      if (field.value().get_array().get(records)) continue;  // null: no records
      for (auto record_result : records) {
        od::object record;
        if (auto err = record_result.get_object().get(record)) {
          if (err == simdjson::INCORRECT_TYPE) return InternalError("GetRecords response has a record that is not an object");
          return ParseError("GetRecords", err);
        }
        RecordOffsets o{};
        KI_RETURN_IF_ERROR(ParseRecord(record, arena, o));
        offsets.push_back(o);
      }
    } else if (name == "NextShardIterator") {
      std::string_view it;
      if (auto err = StringValue(field.value(), &it)) return ParseError("GetRecords", err);
      result.next_shard_iterator = std::string(it);
    } else if (name == "MillisBehindLatest") {
      if (auto m = NumberValue(field.value())) result.millis_behind_latest = SaturatingInt64(*m);
    } else if (name == "ChildShards") {
      od::array children;
      if (field.value().get_array().get(children)) continue;
      KI_RETURN_IF_ERROR(ParseChildShards(children, result.child_shards));
    }
  }
  // simdjson 3.0.1's document has no at_end(); current_location() is OUT_OF_BOUNDS exactly when
  // every token has been consumed: anything else is trailing data after the object.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS)
    return ParseError("GetRecords", simdjson::TRAILING_CONTENT);

  MakeRecordViews(offsets, result);  // only now: the arena stopped growing
  return result;
}

Status ParseListShardsPage(std::string_view body, std::vector<ShardInfo>& shards,
                           std::string& next_token) {
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(BodyBytes(body), body.size()).get(doc)) return ParseError("ListShards", err);
  next_token = std::string(StringField(doc, "NextToken"));
  simdjson::dom::array arr;
  if (doc["Shards"].get_array().get(arr)) return Status::Ok();
  for (element s : arr) {
    ShardInfo info;
    info.shard_id = std::string(StringField(s, "ShardId"));
    info.parent_shard_id = std::string(StringField(s, "ParentShardId"));
    info.adjacent_parent_shard_id = std::string(StringField(s, "AdjacentParentShardId"));
    element range;
    if (!s["HashKeyRange"].get(range) && range.is_object()) {
      info.starting_hash_key = std::string(StringField(range, "StartingHashKey"));
      info.ending_hash_key = std::string(StringField(range, "EndingHashKey"));
    }
    if (!s["SequenceNumberRange"].get(range) && range.is_object()) {
      info.starting_sequence_number = std::string(StringField(range, "StartingSequenceNumber"));
      info.ending_sequence_number = std::string(StringField(range, "EndingSequenceNumber"));
    }
    shards.push_back(std::move(info));
  }
  return Status::Ok();
}

Result<StreamSummary> ParseDescribeStreamSummary(std::string_view body) {
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(BodyBytes(body), body.size()).get(doc))
    return ParseError("DescribeStreamSummary", err);
  element d;
  if (doc["StreamDescriptionSummary"].get(d) || !d.is_object())
    return InternalError("DescribeStreamSummary response has no StreamDescriptionSummary");
  StreamSummary s;
  s.stream_name = std::string(StringField(d, "StreamName"));
  s.stream_arn = std::string(StringField(d, "StreamARN"));
  s.stream_status = std::string(StringField(d, "StreamStatus"));
  element mode;
  if (!d["StreamModeDetails"].get(mode) && mode.is_object())
    s.stream_mode = std::string(StringField(mode, "StreamMode"));
  if (auto n = NumberField(d, "OpenShardCount")) s.open_shard_count = SaturatingInt64(*n);
  if (auto n = NumberField(d, "RetentionPeriodHours")) s.retention_period_hours = SaturatingInt64(*n);
  // Epoch seconds with a fraction (JSON protocol); kept to the millisecond.
  if (auto t = NumberField(d, "StreamCreationTimestamp"))
    s.creation_timestamp_ms = SaturatingInt64(std::round(*t * 1000.0));
  return s;
}

Result<std::vector<PutRecordsEntryResult>> ParsePutRecordsResponse(std::string_view body) {
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(BodyBytes(body), body.size()).get(doc)) return ParseError("PutRecords", err);
  simdjson::dom::array arr;
  if (doc["Records"].get_array().get(arr)) return InternalError("PutRecords response has no Records");
  std::vector<PutRecordsEntryResult> out;
  for (element r : arr) {
    PutRecordsEntryResult e;
    e.error_code = std::string(StringField(r, "ErrorCode"));
    e.error_message = std::string(StringField(r, "ErrorMessage"));
    e.shard_id = std::string(StringField(r, "ShardId"));
    e.sequence_number = std::string(StringField(r, "SequenceNumber"));
    e.ok = e.error_code.empty() && !e.sequence_number.empty();
    out.push_back(std::move(e));
  }
  return out;
}

KinesisClient::KinesisClient(HttpClient& http, Clock& clock, KinesisClientConfig config)
    : http_(http), clock_(clock), config_(std::move(config)) {
  while (!config_.endpoint.empty() && config_.endpoint.back() == '/') config_.endpoint.pop_back();
}

namespace {
std::string Where(const CallContext& ctx) {
  return "Kinesis " + std::string(ctx.operation) +
         (ctx.stream.empty() ? "" : " stream '" + std::string(ctx.stream) + "'") +
         (ctx.shard.empty() ? "" : " shard '" + std::string(ctx.shard) + "'");
}
}  // namespace

Status KinesisClient::SendOnce(const CallContext& ctx, const std::string& body,
                              std::chrono::milliseconds timeout, const CancellationToken* cancel,
                              HttpResponse& resp) {
  HttpRequest req;
  req.method = "POST";
  req.url = config_.endpoint + "/";
  req.headers.emplace_back("Content-Type", ctx.cbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1");
  req.headers.emplace_back("X-Amz-Target", "Kinesis_20131202." + std::string(ctx.operation));
  req.body = body;
  req.cancel = cancel;
  if (timeout != std::chrono::milliseconds::max()) req.timeout = std::max(timeout, std::chrono::milliseconds(1));
  SigningParams params;
  params.region = config_.region;
  params.service = "kinesis";
  params.time = clock_.Now();
  if (config_.credentials_source) {
    Result<AwsCredentials> creds = config_.credentials_source->Get();
    if (!creds.ok()) return creds.status().WithContext(Where(ctx));
    KI_RETURN_IF_ERROR(SignHttpRequest(req, *creds, params));
  } else {
    KI_RETURN_IF_ERROR(SignHttpRequest(req, config_.credentials, params));
  }
  auto started = clock_.Monotonic();
  if (Status sent = http_.SendInto(req, resp); !sent.ok()) return sent.WithContext(Where(ctx));
  if (LogEnabled(LogLevel::kDebug)) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Monotonic() - started);
    Log(LogLevel::kDebug, "POST " + config_.endpoint + " " + std::string(ctx.operation) +
                              (ctx.shard.empty() ? "" : " " + std::string(ctx.shard)) + " -> HTTP " +
                              std::to_string(resp.status) + ", " + std::to_string(resp.body.size()) +
                              " bytes, " + std::to_string(ms.count()) + " ms");
  }
  if (resp.status != 200) return AwsErrorStatus(ctx, resp, config_.endpoint, config_.region);
  return Status::Ok();
}

template <typename T>
Result<T> KinesisClient::Call(const CallContext& ctx, const std::string& body,
                              const std::function<Result<T>(const HttpResponse&)>& parse,
                              const CancellationToken* cancel) {
  Backoff call_backoff(config_.retry, config_.random);
  // One response per thread and result type, reused by every call: its body keeps the capacity
  // of the largest answer so far (GetRecords: up to ~13 MB), so calls do not allocate, fault in
  // and regrow a fresh buffer each time. `parse` copies what it keeps out of it.
  thread_local HttpResponse resp;
  auto attempt = [&](std::chrono::milliseconds remaining) -> Result<T> {
    KI_RETURN_IF_ERROR(SendOnce(ctx, body, remaining, cancel, resp));
    auto parsed = parse(resp);
    if (!parsed.ok()) return parsed.status().WithContext(Where(ctx));
    return parsed;
  };
  auto r = CallWithRetries(
      call_backoff, clock_, attempt,
      [&](const Status& st, int n, std::chrono::milliseconds delay) {
        Log(LogLevel::kInfo, st.message() + " — retry " + std::to_string(n) + " in " +
                                 std::to_string(delay.count()) + " ms");
      },
      cancel);
  // What a thread keeps between calls is outside the engine's byte budget (--max-buffer-mb), so
  // it is capped: an answer larger than this is not kept (a few large bodies then cost their
  // allocation again; the usual answers stay below it).
  if (resp.body.capacity() > kMaxKeptResponseBody) std::string().swap(resp.body);
  if (!r.ok() && cancel && cancel->cancelled() && r.status().message() == CancelledStatus().message())
    return r.status().WithContext(Where(ctx));
  return r;
}

Status KinesisClient::CreateStream(const std::string& stream, int shard_count) {
  std::string body = "{\"StreamName\":" + JsonString(stream) +
                     ",\"ShardCount\":" + std::to_string(shard_count) + "}";
  auto r = Call<bool>({"CreateStream", stream, ""}, body, [](const HttpResponse&) -> Result<bool> { return true; });
  return r.ok() ? Status::Ok() : r.status();
}

Result<StreamSummary> KinesisClient::DescribeStreamSummary(const std::string& stream) {
  return Call<StreamSummary>({"DescribeStreamSummary", stream, ""},
                             "{\"StreamName\":" + JsonString(stream) + "}",
                             [](const HttpResponse& resp) { return ParseDescribeStreamSummary(resp.body); });
}

Result<std::vector<ShardInfo>> KinesisClient::ListShards(const ListShardsRequest& request,
                                                         const CancellationToken* cancel) {
  std::vector<ShardInfo> shards;
  std::string next_token;
  std::string_view stream = request.stream_name.empty() ? request.stream_arn : request.stream_name;
  for (int page = 0;; ++page) {
    std::string body = "{";
    if (!next_token.empty()) {
      // With NextToken the API rejects StreamName/ShardFilter: the token carries them.
      body += "\"NextToken\":" + JsonString(next_token);
    } else {
      if (!request.stream_arn.empty()) body += "\"StreamARN\":" + JsonString(request.stream_arn);
      else body += "\"StreamName\":" + JsonString(request.stream_name);
      if (request.filter) {
        body += ",\"ShardFilter\":{\"Type\":" + JsonString(request.filter->type);
        if (!request.filter->shard_id.empty())
          body += ",\"ShardId\":" + JsonString(request.filter->shard_id);
        if (request.filter->timestamp)
          body += ",\"Timestamp\":" + FormatTimestamp(*request.filter->timestamp);
        body += "}";
      }
    }
    if (request.max_results > 0) body += ",\"MaxResults\":" + std::to_string(request.max_results);
    body += "}";
    // A page is parsed into its own vector, so a retried page is not appended twice.
    KI_ASSIGN_OR_RETURN(auto page_result,
                        (Call<std::pair<std::vector<ShardInfo>, std::string>>(
                            {"ListShards", stream, ""}, body,
                            [](const HttpResponse& resp) -> Result<std::pair<std::vector<ShardInfo>, std::string>> {
                              std::pair<std::vector<ShardInfo>, std::string> out;
                              KI_RETURN_IF_ERROR(ParseListShardsPage(resp.body, out.first, out.second));
                              return out;
                            },
                            cancel)));
    for (auto& info : page_result.first) shards.push_back(std::move(info));
    next_token = std::move(page_result.second);
    if (next_token.empty()) break;
    if (page > 100000) return InternalError("ListShards: the server keeps returning NextToken");
  }
  return shards;
}

Result<std::string> KinesisClient::GetShardIterator(const std::string& stream,
                                                    const std::string& shard_id,
                                                    const IteratorStart& start,
                                                    const CancellationToken* cancel) {
  std::string body = "{\"StreamName\":" + JsonString(stream) + ",\"ShardId\":" + JsonString(shard_id) +
                     ",\"ShardIteratorType\":\"" + IteratorTypeName(start.type) + "\"";
  if (start.type == IteratorType::kAtSequenceNumber || start.type == IteratorType::kAfterSequenceNumber)
    body += ",\"StartingSequenceNumber\":" + JsonString(start.sequence_number);
  if (start.type == IteratorType::kAtTimestamp) body += ",\"Timestamp\":" + FormatTimestamp(start.timestamp);
  body += "}";
  return Call<std::string>(
      {"GetShardIterator", stream, shard_id}, body,
      [](const HttpResponse& resp) -> Result<std::string> {
        simdjson::dom::parser parser;
        element doc;
        if (auto err = parser.parse(resp.body).get(doc)) return ParseError("GetShardIterator", err);
        std::string_view it = StringField(doc, "ShardIterator");
        if (it.empty()) return InternalError("response has no ShardIterator");
        return std::string(it);
      },
      cancel);
}

Result<GetRecordsResult> KinesisClient::GetRecords(const std::string& iterator, int limit,
                                                   const std::string& stream,
                                                   const std::string& shard_id,
                                                   const CancellationToken* cancel) {
  const bool cbor = config_.wire == WireProtocol::kCbor;
  std::string body;
  if (cbor) {
    CborWriter w;
    w.MapHeader(limit > 0 ? 2 : 1);
    w.Text("ShardIterator");
    w.Text(iterator);
    if (limit > 0) {
      w.Text("Limit");
      w.Unsigned(static_cast<uint64_t>(limit));
    }
    body = w.bytes();
  } else {
    body = "{\"ShardIterator\":" + JsonString(iterator);
    if (limit > 0) body += ",\"Limit\":" + std::to_string(limit);
    body += "}";
  }
  // Parsed inside the retried call: an unreadable body is retriable and is fetched again.
  return Call<GetRecordsResult>(
      {"GetRecords", stream, shard_id, cbor}, body,
      [](const HttpResponse& resp) {
        if (IsCborContentType(resp.Header("content-type"))) return ParseGetRecordsCborResponse(resp.body);
        // The body was reserved with room for simdjson's padding (CurlHttpClient); other
        // HttpClients' bodies are copied as before.
        const bool padded = resp.body.capacity() - resp.body.size() >= simdjson::SIMDJSON_PADDING;
        return ParseGetRecordsResponse(resp.body, padded);
      },
      cancel);
}

Result<std::vector<PutRecordsEntryResult>> KinesisClient::PutRecords(
    const std::string& stream, const std::vector<PutRecordsEntry>& entries) {
  constexpr size_t kMaxRecords = 500;
  constexpr size_t kMaxBytes = 5 * 1024 * 1024;
  constexpr size_t kMaxRecordBytes = 1024 * 1024;
  std::vector<PutRecordsEntryResult> results(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.partition_key.empty() || e.partition_key.size() > 256) {
      results[i].error_code = "InvalidArgument";
      results[i].error_message = "partition key must be 1 to 256 characters";
    } else if (e.data.size() + e.partition_key.size() > kMaxRecordBytes) {
      results[i].error_code = "InvalidArgument";
      results[i].error_message = "record is larger than 1 MiB (data + partition key)";
    }
  }
  // Indices still to put; failed entries (throttled) are retried in later rounds.
  std::vector<size_t> pending;
  for (size_t i = 0; i < entries.size(); ++i)
    if (results[i].error_code.empty()) pending.push_back(i);
  Backoff backoff(config_.retry, config_.random);
  for (int round = 0; !pending.empty(); ++round) {
    std::vector<size_t> failed;
    size_t pos = 0;
    while (pos < pending.size()) {
      size_t bytes = 0;
      size_t end = pos;
      while (end < pending.size() && end - pos < kMaxRecords) {
        const auto& e = entries[pending[end]];
        size_t sz = e.data.size() + e.partition_key.size();
        if (end > pos && bytes + sz > kMaxBytes) break;
        bytes += sz;
        ++end;
      }
      std::string body = "{\"StreamName\":" + JsonString(stream) + ",\"Records\":[";
      body.reserve(bytes * 4 / 3 + (end - pos) * 64 + 64);
      for (size_t k = pos; k < end; ++k) {
        const auto& e = entries[pending[k]];
        if (k > pos) body += ',';
        body += "{\"Data\":\"";
        Base64Encode(e.data, body);
        body += "\",\"PartitionKey\":";
        AppendJsonString(body, e.partition_key);
        if (!e.explicit_hash_key.empty()) {
          body += ",\"ExplicitHashKey\":";
          AppendJsonString(body, e.explicit_hash_key);
        }
        body += '}';
      }
      body += "]}";
      KI_ASSIGN_OR_RETURN(auto batch, Call<std::vector<PutRecordsEntryResult>>(
                                          {"PutRecords", stream, ""}, body, [](const HttpResponse& resp) {
                                            return ParsePutRecordsResponse(resp.body);
                                          }));
      if (batch.size() != end - pos)
        return InternalError("PutRecords stream '" + stream + "': sent " + std::to_string(end - pos) +
                             " records, response has " + std::to_string(batch.size()));
      for (size_t k = pos; k < end; ++k) {
        size_t idx = pending[k];
        results[idx] = std::move(batch[k - pos]);
        // Only entries that failed for a passing reason (throttling, internal failure) are sent
        // again; others (e.g. KMS access denied) would fail the same way.
        if (!results[idx].ok && ClassifyAwsError(500, results[idx].error_code) == ErrorKind::kRetriable)
          failed.push_back(idx);
      }
      pos = end;
    }
    if (failed.empty() || round + 1 >= config_.retry.max_attempts) break;
    auto delay = backoff.DelayFor(round);
    Log(LogLevel::kInfo, "PutRecords stream '" + stream + "': " + std::to_string(failed.size()) +
                             " records failed (" + results[failed.front()].error_code +
                             "), retrying in " + std::to_string(delay.count()) + " ms");
    clock_.SleepFor(delay);
    pending = std::move(failed);
  }
  return results;
}

}  // namespace ki
