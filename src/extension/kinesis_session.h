// The Kinesis side of a table function call: its AWS named parameters (region, endpoint_url,
// profile, connection, connections_file, retry_deadline) resolved through the same code as the
// CLI (aws/aws_config.h, aws/credentials_provider.h: flags, environment, shared files), and the
// client built from them.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "extension/duckdb_api.h"
#include "http/curl_http_client.h"
#include "kinesis/kinesis_client.h"

namespace ki::ext {

struct KinesisSession {
  std::unique_ptr<CurlHttpClient> http;
  std::unique_ptr<KinesisClient> client;
};

// Declares the AWS named parameters on a table function.
void AddAwsParameters(duckdb_table_function function);

// Reads them from the bind info and builds the client. Errors name the parameter.
Result<KinesisSession> OpenKinesisSession(duckdb_bind_info info);

// A named VARCHAR parameter, empty when absent or NULL.
std::string NamedText(duckdb_bind_info info, const char* name);

// Kinesis stream names: 1 to 128 characters of [a-zA-Z0-9_.-].
Status CheckStreamName(const std::string& stream);

}  // namespace ki::ext
