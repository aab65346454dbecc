// A client for the Kinesis Data Streams JSON 1.1 API over an injected HttpClient. Every call is
// signed (SigV4), retried on retriable errors (including an unreadable response body) with capped
// exponential backoff and full jitter within the policy's total deadline (each attempt's timeout is
// what is left of it), and returns errors that name the operation, stream and shard (see
// kinesis_error.h).
// Thread-safe if the HttpClient is (CurlHttpClient is): shard readers share one client.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "aws/aws_credentials.h"
#include "aws/credentials_source.h"
#include "common/clock.h"
#include "common/retry.h"
#include "common/status.h"
#include "http/http_client.h"
#include "kinesis/kinesis_error.h"
#include "kinesis/kinesis_types.h"

namespace ki {

// How GetRecords travels (the other calls are small and always JSON): JSON 1.1 with base64 Data,
// or CBOR (application/x-amz-cbor-1.1) with raw Data bytes. Whatever was asked, the answer is
// parsed by its Content-Type: AWS sometimes answers a CBOR request in JSON.
enum class WireProtocol { kJson, kCbor };

struct KinesisClientConfig {
  std::string endpoint;  // e.g. https://kinesis.eu-west-1.amazonaws.com or http://127.0.0.1:4567
  std::string region;
  // Static credentials, used when credentials_source is not set.
  AwsCredentials credentials;
  // When set, asked for the current credentials before every attempt (so expiring credentials are
  // replaced in long runs); must be thread-safe (CachingCredentialsSource is). Its error fails the
  // attempt with the source's error kind.
  std::shared_ptr<CredentialsSource> credentials_source;
  RetryPolicy retry;
  WireProtocol wire = WireProtocol::kJson;
  // The backoff's random source, uniform in [0, 1) (full jitter); empty: a seeded generator per
  // call. Tests script it. Called from every thread that uses the client, so it must be
  // thread-safe.
  std::function<double()> random;
};

class KinesisClient {
 public:
  KinesisClient(HttpClient& http, Clock& clock, KinesisClientConfig config);

  Status CreateStream(const std::string& stream, int shard_count);
  Result<StreamSummary> DescribeStreamSummary(const std::string& stream);
  // All shards (every page). With max_results > 0, pages of that size are requested.
  Result<std::vector<ShardInfo>> ListShards(const ListShardsRequest& request,
                                            const CancellationToken* cancel = nullptr);
  // `cancel` (optional, also for GetRecords) stops the retries: checked before each attempt and
  // during backoff sleeps; a cancelled call returns CancelledStatus().
  Result<std::string> GetShardIterator(const std::string& stream, const std::string& shard_id,
                                       const IteratorStart& start,
                                       const CancellationToken* cancel = nullptr);
  // An ExpiredIteratorException comes back as kind kExpiredIterator (not retried here).
  // `shard_id` and `stream` are only used in messages.
  Result<GetRecordsResult> GetRecords(const std::string& iterator, int limit,
                                      const std::string& stream, const std::string& shard_id,
                                      const CancellationToken* cancel = nullptr);
  // Puts all entries, in batches within the API limits (500 records, 5 MiB), retrying the entries
  // a batch reports as failed (throttling) with backoff. Results are in input order; entries that
  // still failed have ok == false. An error status means a call failed as a whole.
  Result<std::vector<PutRecordsEntryResult>> PutRecords(const std::string& stream,
                                                        const std::vector<PutRecordsEntry>& entries);

  const KinesisClientConfig& config() const { return config_; }
  HttpClient& http() const { return http_; }
  Clock& clock() const { return clock_; }

 private:
  // One attempt: sign, send with `timeout`, turn a non-200 answer into its error status.
  // The answer goes into `response` (reused across calls; see HttpClient::SendInto).
  Status SendOnce(const CallContext& ctx, const std::string& body, std::chrono::milliseconds timeout,
                  const CancellationToken* cancel, HttpResponse& response);
  // The retried call: each attempt sends and then parses the body with `parse`, so an unreadable
  // body (a retriable error) is retried like a throttled call.
  template <typename T>
  Result<T> Call(const CallContext& ctx, const std::string& body,
                 const std::function<Result<T>(const HttpResponse&)>& parse,
                 const CancellationToken* cancel = nullptr);

  HttpClient& http_;
  Clock& clock_;
  KinesisClientConfig config_;
};

// Response parsers, public for unit tests. They accept explicit nulls and missing optional
// fields (the emulators differ from AWS and from each other).
// `padded`: the simdjson::SIMDJSON_PADDING bytes after `body` are readable (e.g. spare capacity
// of the string it lives in), so it is parsed in place instead of being copied first.
Result<GetRecordsResult> ParseGetRecordsResponse(std::string_view body, bool padded = false);
// The same answer in CBOR (application/x-amz-cbor-1.1, --wire cbor): get_records_cbor.cc.
Result<GetRecordsResult> ParseGetRecordsCborResponse(std::string_view body);
Status ParseListShardsPage(std::string_view body, std::vector<ShardInfo>& shards,
                           std::string& next_token);
Result<StreamSummary> ParseDescribeStreamSummary(std::string_view body);
Result<std::vector<PutRecordsEntryResult>> ParsePutRecordsResponse(std::string_view body);

}  // namespace ki
