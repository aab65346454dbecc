#include "extension/kinesis_session.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "aws/aws_config.h"
#include "aws/credentials_provider.h"
#include "aws/environment.h"
#include "common/clock.h"

namespace ki::ext {

void AddAwsParameters(duckdb_table_function function) {
  DuckType varchar(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
  for (const char* name : {"region", "endpoint_url", "profile", "connection", "connections_file"})
    duckdb_table_function_add_named_parameter(function, name, varchar.get());
  DuckType interval(duckdb_create_logical_type(DUCKDB_TYPE_INTERVAL));
  duckdb_table_function_add_named_parameter(function, "retry_deadline", interval.get());
}

std::string NamedText(duckdb_bind_info info, const char* name) {
  DuckValue v(duckdb_bind_get_named_parameter(info, name));
  return v.IsNull() ? std::string() : ValueText(v.get());
}

Status CheckStreamName(const std::string& stream) {
  bool ok = !stream.empty() && stream.size() <= 128 &&
            std::all_of(stream.begin(), stream.end(), [](unsigned char c) {
              return std::isalnum(c) || c == '_' || c == '.' || c == '-';
            });
  if (ok) return Status::Ok();
  return InvalidArgument("stream name '" + stream.substr(0, 160) +
                         "' is not a Kinesis stream name: use 1 to 128 characters of [a-zA-Z0-9_.-]");
}

Result<KinesisSession> OpenKinesisSession(duckdb_bind_info info) {
  const Environment& env = ProcessEnvironment();
  std::string profile = NamedText(info, "profile");
  KI_ASSIGN_OR_RETURN(std::string region, ResolveRegion(NamedText(info, "region"), profile, env));
  KI_ASSIGN_OR_RETURN(std::string endpoint, ResolveEndpoint(NamedText(info, "endpoint_url"), region, env));
  CredentialOptions copts{NamedText(info, "connection"), NamedText(info, "connections_file"), profile};
  KI_ASSIGN_OR_RETURN(AwsCredentials creds, DefaultCredentialsChain(copts, env).Resolve());

  std::chrono::milliseconds deadline{60000};  // the CLI's --retry-deadline default
  DuckValue d(duckdb_bind_get_named_parameter(info, "retry_deadline"));
  if (!d.IsNull()) {
    duckdb_interval iv = duckdb_get_interval(d.get());
    int64_t ms = iv.micros / 1000 + int64_t{iv.days} * 86400000 + int64_t{iv.months} * 30 * 86400000;
    if (ms <= 0) return InvalidArgument("retry_deadline must be at least 1 millisecond");
    deadline = std::chrono::milliseconds(ms);
  }

  HttpOptions hopts;
  // One attempt never outlasts the whole deadline (the client caps it to what is left, too).
  hopts.request_timeout = std::min(hopts.request_timeout, deadline);
  hopts.connect_timeout = std::min(hopts.connect_timeout, deadline);
  KinesisSession s;
  s.http = std::make_unique<CurlHttpClient>(hopts);
  KinesisClientConfig kc;
  kc.endpoint = endpoint;
  kc.region = region;
  kc.credentials = std::move(creds);
  kc.retry.deadline = deadline;
  s.client = std::make_unique<KinesisClient>(*s.http, SystemClock(), std::move(kc));
  return s;
}

}  // namespace ki::ext
