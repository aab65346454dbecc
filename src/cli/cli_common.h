// Pieces every command shares: the AWS options, building a Kinesis client from them, exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

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
};

// Adds --region, --endpoint-url, --connection, --connections-file, --profile, --insecure.
void AddAwsOptions(CLI::App& app, AwsOptions& options);

// A Kinesis client and the HTTP client it uses, resolved from options, environment and files.
struct KinesisSession {
  std::unique_ptr<CurlHttpClient> http;
  std::unique_ptr<KinesisClient> client;
};
Result<KinesisSession> OpenKinesis(const AwsOptions& options);

// Prints "kinesis-import: error: <message>" on stderr and returns the exit code for the status.
int ReportError(const Status& status);

// Parses --from / --start-position values: trim_horizon, latest, at_timestamp:ISO8601.
Result<IteratorStart> ParseStartPosition(const std::string& text);

}  // namespace ki::cli
