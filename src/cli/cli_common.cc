#include "cli/cli_common.h"

#include <algorithm>
#include <cstdio>

#include "aws/aws_config.h"
#include "aws/credentials_provider.h"
#include "aws/environment.h"
#include "common/log.h"
#include "common/time_format.h"

namespace ki::cli {

void AddAwsOptions(CLI::App& app, AwsOptions& o) {
  const char* group = "AWS";
  app.add_option("--region", o.region,
                 "AWS region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)")
      ->group(group);
  app.add_option("--endpoint-url", o.endpoint_url,
                 "Kinesis endpoint (else AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL, the AWS "
                 "endpoint of the region), e.g. http://127.0.0.1:4567 for an emulator")
      ->group(group);
  app.add_option("--connection", o.connection,
                 "named connection holding the credentials (AWS_ACCESS_KEY=...;AWS_SECRET_KEY=..."
                 "[;AWS_SESSION_TOKEN=...]) in the connections file")
      ->group(group);
  app.add_option("--connections-file", o.connections_file,
                 "connections file (else KINESIS_IMPORT_CONNECTIONS_FILE, else "
                 "~/.config/kinesis-import/connections)")
      ->group(group);
  app.add_option("--profile", o.profile, "profile in ~/.aws/credentials and ~/.aws/config (else AWS_PROFILE)")
      ->group(group);
  app.add_flag("--insecure", o.insecure, "do not verify TLS certificates (testing only)")->group(group);
  app.add_option("--connect-timeout-ms", o.connect_timeout_ms, "TCP/TLS connect timeout")
      ->group(group)
      ->capture_default_str();
  app.add_option("--request-timeout-ms", o.request_timeout_ms, "timeout of one HTTP request")
      ->group(group)
      ->capture_default_str();
}

Result<KinesisSession> OpenKinesis(const AwsOptions& o) {
  const Environment& env = ProcessEnvironment();
  KI_ASSIGN_OR_RETURN(std::string region, ResolveRegion(o.region, o.profile, env));
  KI_ASSIGN_OR_RETURN(std::string endpoint, ResolveEndpoint(o.endpoint_url, region, env));
  CredentialOptions copts{o.connection, o.connections_file, o.profile};
  KI_ASSIGN_OR_RETURN(AwsCredentials creds, DefaultCredentialsChain(copts, env).Resolve());
  Log(LogLevel::kDebug, "endpoint " + endpoint + ", region " + region + ", credentials from " +
                            creds.source + " (access key " + RedactAccessKey(creds.access_key_id) + ")");
  HttpOptions hopts;
  hopts.insecure = o.insecure;
  hopts.connect_timeout = std::chrono::milliseconds(o.connect_timeout_ms);
  hopts.request_timeout = std::chrono::milliseconds(o.request_timeout_ms);
  KinesisSession s;
  s.http = std::make_unique<CurlHttpClient>(hopts);
  KinesisClientConfig kc;
  kc.endpoint = endpoint;
  kc.region = region;
  kc.credentials = std::move(creds);
  s.client = std::make_unique<KinesisClient>(*s.http, SystemClock(), std::move(kc));
  return s;
}

int ReportError(const Status& status) {
  std::string msg = status.message();
  // One line: the message may quote server text with newlines.
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  std::fprintf(stderr, "kinesis-import: error: %s\n", msg.c_str());
  return status.kind() == ErrorKind::kInvalidArgument ? kExitUsage : kExitError;
}

Result<IteratorStart> ParseStartPosition(const std::string& text) {
  std::string t = text;
  std::string lower = t;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  IteratorStart start;
  if (lower == "trim_horizon") {
    start.type = IteratorType::kTrimHorizon;
  } else if (lower == "latest") {
    start.type = IteratorType::kLatest;
  } else if (lower.rfind("at_timestamp:", 0) == 0) {
    KI_ASSIGN_OR_RETURN(int64_t us, ParseIso8601Micros(t.substr(13)));
    start.type = IteratorType::kAtTimestamp;
    start.timestamp = static_cast<double>(us) / 1e6;
  } else {
    return InvalidArgument("unknown start position '" + text +
                           "': use trim_horizon, latest or at_timestamp:2024-05-01T12:00:00Z");
  }
  return start;
}

}  // namespace ki::cli
