#include "cli/cli_common.h"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>

#include "aws/aws_config.h"
#include "aws/credentials_provider.h"
#include "aws/credentials_source.h"
#include "aws/environment.h"
#include "aws/metadata_credentials.h"
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
  app.add_flag("--insecure", o.insecure, "do not verify TLS certificates (testing only; prints a warning)")
      ->group(group);
  app.add_option("--connect-timeout-ms", o.connect_timeout_ms, "TCP/TLS connect timeout")
      ->group(group)
      ->capture_default_str();
  app.add_option("--request-timeout-ms", o.request_timeout_ms,
                 "timeout of one HTTP request (never more than what is left of --retry-deadline)")
      ->group(group)
      ->capture_default_str();
  app.add_option("--retry-deadline", o.retry_deadline,
                 "total time one Kinesis call may take, all attempts and backoff included, e.g. 500ms, "
                 "30s, 2m; the error then says how long it tried and how many attempts it made")
      ->group(group)
      ->capture_default_str();
}

void AddWireOption(CLI::App& app, AwsOptions& o) {
  app.add_option("--wire", o.wire,
                 "how GetRecords travels: json (JSON 1.1, Data in base64) or cbor (application/x-amz-cbor-1.1, "
                 "Data as raw bytes: less to decode). An answer is read by its Content-Type, so a CBOR request "
                 "answered in JSON still works. Not for kinesalite (its CBOR answers are broken)")
      ->check(CLI::IsMember({"json", "cbor"}))
      ->group("AWS")
      ->capture_default_str();
}

Result<std::chrono::milliseconds> ParseDuration(const std::string& text, const std::string& what) {
  auto bad = [&] {
    return InvalidArgument(what + " '" + text + "' is not a duration: use a whole number and a unit, "
                           "e.g. 500ms, 30s, 2m, 1h");
  };
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 9) return bad();
  int64_t n = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  int64_t ms;
  if (unit == "ms") ms = n;
  else if (unit == "s") ms = n * 1000;
  else if (unit == "m") ms = n * 60 * 1000;
  else if (unit == "h") ms = n * 3600 * 1000;
  else return bad();
  if (ms <= 0) return InvalidArgument(what + " must be at least 1ms");
  return std::chrono::milliseconds(ms);
}

Status ValidateStreamName(const std::string& stream) {
  bool ok = !stream.empty() && stream.size() <= 128 &&
            std::all_of(stream.begin(), stream.end(), [](unsigned char c) {
              return std::isalnum(c) || c == '_' || c == '.' || c == '-';
            });
  if (ok) return Status::Ok();
  // Quoted as given unless it is long (it is the user's own text, not a secret).
  std::string shown = stream.size() <= 160 ? "'" + stream + "'" : "of " + std::to_string(stream.size()) + " characters";
  return InvalidArgument("stream name " + shown +
                         " is not a Kinesis stream name: use 1 to 128 characters of [a-zA-Z0-9_.-]");
}

CLI::Validator AtLeast(int64_t min) {
  return CLI::Validator(
      [min](std::string& value) -> std::string {
        int64_t n = 0;
        size_t used = 0;
        try {
          n = std::stoll(value, &used);
        } catch (...) {
          return "must be a whole number, at least " + std::to_string(min) + ", not '" + value + "'";
        }
        if (used != value.size())
          return "must be a whole number, at least " + std::to_string(min) + ", not '" + value + "'";
        if (n < min) return "must be at least " + std::to_string(min) + ", not " + value;
        return "";
      },
      ">=" + std::to_string(min));
}

Result<std::string> ResolveAwsRegion(const AwsOptions& o, HttpClient& http) {
  const Environment& env = ProcessEnvironment();
  Result<std::string> region = ResolveRegion(o.region, o.profile, env);
  if (!region.ok() && IsMissingRegion(region.status())) {
    if (std::optional<std::string> from_imds = ImdsRegion(http, env)) {
      Log(LogLevel::kDebug, "region " + *from_imds + " from the EC2 instance metadata");
      return *from_imds;
    }
  }
  return region;
}

CredentialsChain AwsCredentialsChain(const AwsOptions& o, HttpClient& http, const std::string& region) {
  CredentialOptions copts{o.connection, o.connections_file, o.profile};
  CredentialsContext context{&http, &SystemClock(), region};
  return DefaultCredentialsChain(copts, ProcessEnvironment(), context);
}

HttpOptions AwsHttpOptions(const AwsOptions& o) {
  HttpOptions hopts;
  hopts.insecure = o.insecure;
  hopts.connect_timeout = std::chrono::milliseconds(o.connect_timeout_ms);
  hopts.request_timeout = std::chrono::milliseconds(o.request_timeout_ms);
  return hopts;
}

Result<KinesisSession> OpenKinesis(const AwsOptions& o) {
  const Environment& env = ProcessEnvironment();
  KI_ASSIGN_OR_RETURN(std::chrono::milliseconds deadline, ParseDuration(o.retry_deadline, "--retry-deadline"));
  KinesisSession s;
  s.http = std::make_unique<CurlHttpClient>(AwsHttpOptions(o));
  KI_ASSIGN_OR_RETURN(std::string region, ResolveAwsRegion(o, *s.http));
  KI_ASSIGN_OR_RETURN(std::string endpoint, ResolveEndpoint(o.endpoint_url, region, env));
  auto credentials = std::make_shared<CachingCredentialsSource>(
      AwsCredentialsChain(o, *s.http, region), SystemClock());
  // Resolved once now, so missing or broken credentials are a setup error before anything runs.
  KI_ASSIGN_OR_RETURN(AwsCredentials creds, credentials->Get());
  Log(LogLevel::kDebug, "endpoint " + endpoint + ", region " + region + ", credentials from " +
                            creds.source + " (access key " + RedactAccessKey(creds.access_key_id) + ")");
  if (o.insecure)
    std::fprintf(stderr, "kinesis-import: warning: --insecure: TLS certificates are not verified; "
                         "anyone on the network path can read and change this traffic\n");
  KinesisClientConfig kc;
  kc.endpoint = endpoint;
  kc.region = region;
  kc.credentials = std::move(creds);
  kc.credentials_source = std::move(credentials);
  kc.retry.deadline = deadline;
  if (o.wire == "cbor") kc.wire = WireProtocol::kCbor;
  else if (o.wire != "json") return InvalidArgument("--wire must be json or cbor, not '" + o.wire + "'");
  s.client = std::make_unique<KinesisClient>(*s.http, SystemClock(), std::move(kc));
  return s;
}

int ReportError(const Status& status) {
  std::string msg = status.message();
  // One line: the message may quote server text with newlines.
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  if (GetLogFormat() == LogFormat::kJson) {
    // --log-format json: the final error is a JSON line too, with its detail, for log shippers.
    LogFields fields;
    if (status.has_detail()) fields.error = status.detail();
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
    std::fprintf(stderr, "%s\n", FormatJsonLogLine(ms, LogLevel::kError, msg, fields).c_str());
  } else {
    std::fprintf(stderr, "kinesis-import: error: %s\n", msg.c_str());
  }
  return status.kind() == ErrorKind::kInvalidArgument || status.kind() == ErrorKind::kNotFound
             ? kExitUsage
             : kExitError;
}

int ReportSetupError(const Status& status) {
  ReportError(status);
  return kExitUsage;
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
