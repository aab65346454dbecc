// Pieces every command shares: the AWS options, building a Kinesis client from them, exit codes.
//
// Exit codes (README, Commands): 0 ok; 2 the command could not start because of what the user
// gave it (flags, job file, connections file, profiles, region/endpoint settings, a stream name
// that is not a Kinesis name, a target table that is missing or cannot take the records):
// nothing was read or written; 1 a failure while running (network, AWS, database, bad records
// under --on-error fail).
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "aws/credentials_provider.h"
#include "common/status.h"
#include "http/curl_http_client.h"
#include "kinesis/kinesis_client.h"

namespace ki::cli {

enum ExitCode { kExitOk = 0, kExitError = 1, kExitUsage = 2 };

struct AwsOptions {
  std::string region;
  std::string endpoint_url;
  std::string connection;
  std::string connections_file;
  std::string profile;
  bool insecure = false;
  int connect_timeout_ms = 5000;
  int request_timeout_ms = 30000;
  std::string retry_deadline = "60s";  // total time of one Kinesis call, all retries included
  std::string wire = "json";  // how GetRecords travels: json or cbor (KinesisClientConfig::wire)
};

// Adds --region, --endpoint-url, --connection, --connections-file, --profile, --insecure,
// --connect-timeout-ms, --request-timeout-ms, --retry-deadline.
void AddAwsOptions(CLI::App& app, AwsOptions& options);
// --wire, for the commands that read records (run, follow, peek, status, suggest-table).
void AddWireOption(CLI::App& app, AwsOptions& options);

// The region (--region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else the EC2
// instance's region from IMDS) and the credentials chain for these options, with the network
// providers going through `http`, which must outlive the chain.
Result<std::string> ResolveAwsRegion(const AwsOptions& options, HttpClient& http);
CredentialsChain AwsCredentialsChain(const AwsOptions& options, HttpClient& http,
                                     const std::string& region);
// HttpOptions from --insecure, --connect-timeout-ms, --request-timeout-ms.
HttpOptions AwsHttpOptions(const AwsOptions& options);

// A Kinesis client and the HTTP client it uses, resolved from options, environment and files.
// The client asks `client->config().credentials_source` (a CachingCredentialsSource) for
// credentials on every request.
struct KinesisSession {
  std::unique_ptr<CurlHttpClient> http;
  std::unique_ptr<KinesisClient> client;
};
// Every error is a configuration error (report it with ReportSetupError): nothing was sent yet.
// With --insecure, prints a warning on stderr.
Result<KinesisSession> OpenKinesis(const AwsOptions& options);

// Prints "kinesis-import: error: <message>" on stderr and returns the exit code for the status:
// 2 for kInvalidArgument and kNotFound (what the user gave is wrong or missing), else 1.
int ReportError(const Status& status);
// Prints the error and returns 2: for failures while setting up from what the user gave (AWS
// settings, credentials, profiles, the connections file), whatever their kind.
int ReportSetupError(const Status& status);

// "500ms", "30s", "2m", "1h" (a whole number and a unit) -> milliseconds; `what` names the flag or
// key in the error.
Result<std::chrono::milliseconds> ParseDuration(const std::string& text, const std::string& what);

// Kinesis stream names: 1 to 128 characters of [a-zA-Z0-9_.-]. InvalidArgument naming the rule.
Status ValidateStreamName(const std::string& stream);

// A CLI11 check for integer options that must be at least `min`: "must be at least 1".
CLI::Validator AtLeast(int64_t min);

// Parses --from / --start-position values: trim_horizon, latest, at_timestamp:ISO8601.
Result<IteratorStart> ParseStartPosition(const std::string& text);

}  // namespace ki::cli
