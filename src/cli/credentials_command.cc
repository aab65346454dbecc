// `kinesis-import credentials`: which AWS credentials the other commands would use, and where
// they came from, without calling Kinesis. Prints the source, the access key id, the expiration
// and the region; never the secret access key or the session token.
#include <cstdio>

#include "aws/credentials_provider.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/json_writer.h"
#include "common/time_format.h"

namespace ki::cli {
namespace {

struct CredentialsOptions {
  AwsOptions aws;
  std::string output = "text";
};

int Run(const CredentialsOptions& o) {
  CurlHttpClient http(AwsHttpOptions(o.aws));
  Result<std::string> region = ResolveAwsRegion(o.aws, http);
  // A missing region is shown, not fatal: the credentials may still resolve (STS then uses
  // us-east-1, as the SDKs do).
  std::string region_text = region.ok() ? *region : "";
  Result<AwsCredentials> creds = AwsCredentialsChain(o.aws, http, region_text).Resolve();
  if (!creds.ok()) return ReportSetupError(creds.status());

  std::string expiration;
  if (creds->expiration) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(creds->expiration->time_since_epoch());
    expiration = FormatIso8601Millis(ms.count());
  }
  if (o.output == "json") {
    std::string out = "{\"source\":" + JsonString(creds->source) +
                      ",\"access_key_id\":" + JsonString(creds->access_key_id) +
                      ",\"temporary\":" + (creds->session_token.empty() ? "false" : "true") +
                      ",\"expiration\":" + (expiration.empty() ? "null" : JsonString(expiration)) +
                      ",\"region\":" + (region.ok() ? JsonString(*region) : "null") + "}\n";
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  std::printf("source:        %s\n", creds->source.c_str());
  std::printf("access key id: %s\n", creds->access_key_id.c_str());
  std::printf("temporary:     %s\n", creds->session_token.empty() ? "no" : "yes (session token)");
  std::printf("expiration:    %s\n", expiration.empty() ? "none" : expiration.c_str());
  if (region.ok()) {
    std::printf("region:        %s\n", region->c_str());
  } else {
    std::string why = region.status().message();
    std::printf("region:        none (%s)\n", why.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterCredentialsCommand(CLI::App& app, std::function<int()>* run) {
  auto opts = std::make_shared<CredentialsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "credentials",
      "show which AWS credentials would be used: their source, access key id, expiration and the "
      "region (never the secret or session token); the error lists every place looked, in order");
  AddAwsOptions(*cmd, opts->aws);
  cmd->add_option("--output", opts->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([opts, run] { *run = [opts] { return Run(*opts); }; });
}

}  // namespace ki::cli
