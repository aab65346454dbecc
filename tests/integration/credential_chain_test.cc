// The full credentials chain against loopback stand-ins for IMDSv2, the container endpoint and STS
// (tests/node/aws_metadata_server.js), through the real binary (`kinesis-import credentials`).
// Each scenario is also resolved by independent implementations of the same chain — the Node AWS
// SDK's providers (tests/node/resolve_credentials.js) and, for IMDS and the container endpoint,
// Debian's AWS CLI v2 (`/usr/bin/aws configure export-credentials`; it predates
// AWS_ENDPOINT_URL_STS) — and the access key ids must be the same. Every endpoint is 127.0.0.1;
// IMDS is disabled unless a test points it at the loopback server. Token files are written without
// a trailing newline, as the platforms write them (we trim one, the Node SDK sends it as is).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "aws/credentials_source.h"
#include "aws/metadata_credentials.h"
#include "aws_endpoints_server.h"
#include "common/clock.h"
#include "http/curl_http_client.h"
#include "test_support.h"

namespace ki::test {
namespace {

constexpr char kSourceKey[] = "AKIDSOURCEPROFILE";
constexpr char kSourceSecret[] = "sourceSecretDoNotPrint/123";
const std::string kServerConfig =
    std::string(R"({"secrets":{")") + kSourceKey + R"(":")" + kSourceSecret + R"("},"containerToken":"container-token-1"})";

std::string JsonField(const std::string& json, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view value;
  if (parser.parse(json).get(doc) || doc[key].get_string().get(value)) return "";
  return std::string(value);
}

class CredentialChainTest : public ::testing::Test {
 protected:
  CredentialChainTest() {
    const char* unset = "\x01unset";
    for (const char* var :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
          "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
          "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
          "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
          "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
          "KINESIS_IMPORT_CONNECTIONS_FILE"}) {
      env_[var] = unset;
    }
    env_["HOME"] = home_.path();
    env_["AWS_REGION"] = "us-east-1";
    env_["AWS_EC2_METADATA_DISABLED"] = "true";
  }

  void UseImds() {
    env_["AWS_EC2_METADATA_DISABLED"] = "false";
    env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server_.url() + "/";
  }
  void UseSts() { env_["AWS_ENDPOINT_URL_STS"] = server_.url(); }
  void WriteConfig(const std::string& text) {
    WriteFile(home_.File("config"), text);
    env_["AWS_CONFIG_FILE"] = home_.File("config");
  }

  // Our access key id (from `credentials --output json`); "" and a test failure when it fails.
  std::string Ours() {
    ProcessResult r = RunCli({"credentials", "--output", "json"}, "", env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("secret-of-"), std::string::npos) << "a secret was printed: " << r.out;
    EXPECT_EQ(r.out.find("token-of-"), std::string::npos) << "a session token was printed: " << r.out;
    last_source_ = JsonField(r.out, "source");
    return JsonField(r.out, "access_key_id");
  }
  ProcessResult OursFailing() {
    ProcessResult r = RunCli({"credentials"}, "", env_);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.err.find(kSourceSecret), std::string::npos) << r.err;
    return r;
  }
  std::string Sdk(const std::string& provider) {
    ProcessResult r = RunProcess({"node", NodeToolPath("resolve_credentials.js"), provider}, "", env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return JsonField(r.out, "accessKeyId");
  }
  std::string AwsCli() {
    ProcessResult r = RunProcess({"/usr/bin/aws", "configure", "export-credentials", "--format", "env"}, "", env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string prefix = "export AWS_ACCESS_KEY_ID=";
    for (const std::string& line : Lines(r.out))
      if (line.starts_with(prefix)) return line.substr(prefix.size());
    return "";
  }
  bool SawEvent(const std::string& needle) {
    for (const std::string& e : server_.Events())
      if (e.find(needle) != std::string::npos) return true;
    return false;
  }

  TempDir home_;
  AwsEndpointsServer server_{kServerConfig};
  std::map<std::string, std::string> env_;
  std::string last_source_;
};

TEST_F(CredentialChainTest, ImdsAloneMatchesAwsCliAndSdk) {
  ASSERT_TRUE(server_.started());
  UseImds();
  std::string ours = Ours();
  EXPECT_TRUE(ours.starts_with("ASIAIMDS")) << ours;
  EXPECT_NE(last_source_.find("instance metadata"), std::string::npos) << last_source_;
  EXPECT_EQ(ours, AwsCli());
  EXPECT_EQ(ours, Sdk("imds"));
  EXPECT_TRUE(SawEvent("\"ttl\":21600"));
  EXPECT_FALSE(SawEvent("imds-v1-refused"));  // we never sent a GET without the session token
}

TEST_F(CredentialChainTest, ImdsRegionIsUsedWhenNothingElseNamesOne) {
  ASSERT_TRUE(server_.started());
  UseImds();
  env_["AWS_REGION"] = "\x01unset";
  env_["AWS_DEFAULT_REGION"] = "\x01unset";
  ProcessResult r = RunCli({"credentials", "--output", "json"}, "", env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonField(r.out, "region"), "eu-central-1") << r.out;
}

TEST_F(CredentialChainTest, ImdsV1IsNeverUsedWhenTheTokenIsRefused) {
  AwsEndpointsServer refusing(R"({"imdsRefuseToken":true})");
  ASSERT_TRUE(refusing.started());
  env_["AWS_EC2_METADATA_DISABLED"] = "false";
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = refusing.url();
  ProcessResult r = OursFailing();
  EXPECT_NE(r.err.find("IMDSv1 is not used"), std::string::npos) << r.err;
  bool saw_get = false;
  for (const std::string& e : refusing.Events()) saw_get |= e.find("imds-v1-refused") != std::string::npos;
  EXPECT_FALSE(saw_get) << "sent an IMDSv1 GET after the token was refused";
}

TEST_F(CredentialChainTest, ContainerFullUriWithTokenMatchesAwsCliAndSdk) {
  ASSERT_TRUE(server_.started());
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server_.url() + "/container-credentials";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "container-token-1";
  std::string ours = Ours();
  EXPECT_TRUE(ours.starts_with("ASIACONT")) << ours;
  EXPECT_EQ(ours, AwsCli());
  EXPECT_EQ(ours, Sdk("container"));

  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong-token";
  ProcessResult r = OursFailing();
  EXPECT_NE(r.err.find("HTTP 401"), std::string::npos) << r.err;
}

TEST_F(CredentialChainTest, ContainerTokenFileIsReadAgainAfterRotation) {
  std::string token_file = home_.File("eks-pod-identity-token");
  WriteFile(token_file, "pod-token-A");
  AwsEndpointsServer server(R"({"containerTokenFile":")" + token_file + R"("})");
  ASSERT_TRUE(server.started());
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/container-credentials";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = token_file;
  std::string first = Ours();
  EXPECT_TRUE(first.starts_with("ASIACONT")) << first;
  EXPECT_EQ(first, Sdk("container-http"));

  // The platform rotates the token file; the server now accepts only the new token.
  std::string second;
  // In one process too: a CachingCredentialsSource over the container provider re-reads the file.
  CurlHttpClient http(HttpOptions{});
  MapEnvironment map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/container-credentials"},
                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}});
  ContainerCredentialsProvider provider(http, map_env);
  auto before = provider.Load();
  ASSERT_TRUE(before.ok()) << before.status().message();
  WriteFile(token_file, "pod-token-B");
  auto after = provider.Load();
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_NE((*before)->access_key_id, (*after)->access_key_id);
  second = Ours();
  EXPECT_EQ(second, (*after)->access_key_id);
  EXPECT_EQ(second, Sdk("container-http"));
}

TEST_F(CredentialChainTest, ContainerFullUriOverPlainHttpMustBeLoopback) {
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://192.0.2.10/creds";
  ProcessResult r = OursFailing();
  EXPECT_NE(r.err.find("is not allowed over http"), std::string::npos) << r.err;
}

TEST_F(CredentialChainTest, WebIdentityFromEnvironmentMatchesSdk) {
  ASSERT_TRUE(server_.started());
  UseSts();
  WriteFile(home_.File("irsa-token"), "eyJhbGciOiJSUzI1NiJ9.web-identity-1");
  env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = home_.File("irsa-token");
  env_["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/irsa-reader";
  env_["AWS_ROLE_SESSION_NAME"] = "ki-test";
  std::string ours = Ours();
  EXPECT_TRUE(ours.starts_with("ASIAWEBI")) << ours;
  EXPECT_EQ(ours, Sdk("web-identity"));
  EXPECT_TRUE(SawEvent("\"signed\":false"));

  // A rotated token is a new exchange with the new token.
  WriteFile(home_.File("irsa-token"), "eyJhbGciOiJSUzI1NiJ9.web-identity-2");
  std::string rotated = Ours();
  EXPECT_NE(rotated, ours);
  EXPECT_EQ(rotated, Sdk("web-identity"));
}

TEST_F(CredentialChainTest, AssumeRoleIsSignedWithTheSourceProfileSecret) {
  ASSERT_TRUE(server_.started());
  UseSts();
  WriteConfig(std::string("[profile src]\naws_access_key_id = ") + kSourceKey +
              "\naws_secret_access_key = " + kSourceSecret +
              "\n[profile reader]\nrole_arn = arn:aws:iam::123456789012:role/reader\n"
              "source_profile = src\nexternal_id = ext-42\nduration_seconds = 900\n");
  env_["AWS_PROFILE"] = "reader";
  std::string ours = Ours();
  EXPECT_TRUE(ours.starts_with("ASIAROLE")) << ours;
  EXPECT_TRUE(SawEvent(std::string("\"ok\":true,\"signer\":\"") + kSourceKey));
  EXPECT_TRUE(SawEvent("\"externalId\":\"ext-42\",\"durationSeconds\":\"900\""));
  EXPECT_EQ(ours, Sdk("chain"));

  // The server verifies the signature: another secret for the same key id is refused.
  WriteConfig(std::string("[profile src]\naws_access_key_id = ") + kSourceKey +
              "\naws_secret_access_key = not-the-secret\n[profile reader]\n"
              "role_arn = arn:aws:iam::123456789012:role/reader\nsource_profile = src\n");
  ProcessResult r = OursFailing();
  EXPECT_NE(r.err.find("SignatureDoesNotMatch"), std::string::npos) << r.err;
}

TEST_F(CredentialChainTest, ChainedRolesAndCredentialSourceMatchSdk) {
  ASSERT_TRUE(server_.started());
  UseSts();
  WriteConfig(std::string("[profile src]\naws_access_key_id = ") + kSourceKey +
              "\naws_secret_access_key = " + kSourceSecret +
              "\n[profile hop]\nrole_arn = arn:aws:iam::123456789012:role/hop\nsource_profile = src\n"
              "[profile final]\nrole_arn = arn:aws:iam::123456789012:role/final\nsource_profile = hop\n");
  env_["AWS_PROFILE"] = "final";
  std::string ours = Ours();
  EXPECT_TRUE(ours.starts_with("ASIAROLE")) << ours;
  EXPECT_EQ(ours, Sdk("chain"));
  EXPECT_NE(last_source_.find("role/final"), std::string::npos) << last_source_;

  // credential_source = Environment: the environment's keys sign the AssumeRole.
  WriteConfig("[profile envrole]\nrole_arn = arn:aws:iam::123456789012:role/env\n"
              "credential_source = Environment\n");
  env_["AWS_PROFILE"] = "envrole";
  env_["AWS_ACCESS_KEY_ID"] = kSourceKey;
  env_["AWS_SECRET_ACCESS_KEY"] = kSourceSecret;
  // With environment keys set, the chain's own order puts them first; ask for the profile explicitly.
  ProcessResult r = RunCli({"credentials", "--output", "json", "--profile", "envrole"}, "", env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(JsonField(r.out, "access_key_id").starts_with("ASIAROLE")) << r.out;
}

TEST_F(CredentialChainTest, SourceProfileCycleIsAnError) {
  WriteConfig("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
              "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n");
  env_["AWS_PROFILE"] = "a";
  ProcessResult r = OursFailing();
  EXPECT_NE(r.err.find("source_profile cycle: a -> b -> a"), std::string::npos) << r.err;
}

TEST_F(CredentialChainTest, CredentialProcessMatchesSdkAndItsFailureIsReported) {
  std::string script = home_.File("creds.sh");
  WriteFile(script,
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESS0001\", "
            "\"SecretAccessKey\": \"secret-of-process\", \"SessionToken\": \"token-of-process\", "
            "\"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
  WriteConfig("[profile p]\ncredential_process = sh " + script + "\n");
  env_["AWS_PROFILE"] = "p";
  std::string ours = Ours();
  EXPECT_EQ(ours, "ASIAPROCESS0001");
  EXPECT_EQ(ours, Sdk("process"));

  WriteFile(script, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"ASIALEAK\", "
                    "\"SecretAccessKey\": \"secret-of-leak\"}'\necho 'sso expired' >&2\nexit 3\n");
  ProcessResult r = OursFailing();
  EXPECT_NE(r.err.find("credential_process exited with status 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sso expired"), std::string::npos) << "the process's stderr is shown";
  EXPECT_EQ(r.err.find("secret-of-leak"), std::string::npos) << r.err;
}

TEST_F(CredentialChainTest, ChainOrderEnvironmentThenWebIdentityThenContainerThenImds) {
  ASSERT_TRUE(server_.started());
  UseImds();
  std::string imds = Ours();
  EXPECT_TRUE(imds.starts_with("ASIAIMDS")) << imds;

  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server_.url() + "/container-credentials";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "container-token-1";
  std::string container = Ours();
  EXPECT_TRUE(container.starts_with("ASIACONT")) << container;
  EXPECT_EQ(container, Sdk("chain"));

  UseSts();
  WriteFile(home_.File("irsa-token"), "token-for-order");
  env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = home_.File("irsa-token");
  env_["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/irsa";
  std::string web = Ours();
  EXPECT_TRUE(web.starts_with("ASIAWEBI")) << web;
  EXPECT_EQ(web, Sdk("chain"));

  env_["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT1";
  env_["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  EXPECT_EQ(Ours(), "AKIAENVIRONMENT1");
  EXPECT_EQ(Sdk("chain"), "AKIAENVIRONMENT1");
}

TEST_F(CredentialChainTest, NoCredentialsListsEveryPlaceInOrder) {
  ProcessResult r = OursFailing();
  EXPECT_EQ(r.exit_code, 2);
  size_t env = r.err.find("1) environment variables");
  size_t web = r.err.find("2) web identity");
  size_t profile = r.err.find("3) profile 'default'");
  size_t container = r.err.find("4) container credentials");
  size_t imds = r.err.find("5) EC2 instance metadata");
  ASSERT_NE(imds, std::string::npos) << r.err;
  EXPECT_TRUE(env < web && web < profile && profile < container && container < imds) << r.err;
  EXPECT_NE(r.err.find("disabled by AWS_EC2_METADATA_DISABLED"), std::string::npos) << r.err;
}

// Short-lived credentials in a long run: they expire 302 s after issue, so they enter the 5-minute
// refresh window 2 s later and the caching source fetches new ones while the old still work.
TEST_F(CredentialChainTest, ExpiringCredentialsAreRefreshedBeforeTheyExpire) {
  AwsEndpointsServer rotating(R"({"imdsRotate":true,"lifetimeSeconds":302})");
  ASSERT_TRUE(rotating.started());
  CurlHttpClient http(HttpOptions{});
  MapEnvironment env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", rotating.url()}});
  CredentialsChain chain;
  chain.AddProvider(std::make_unique<ImdsCredentialsProvider>(http, env));
  CachingCredentialsSource source(std::move(chain), SystemClock(), std::chrono::seconds(300),
                                  std::chrono::seconds(1));
  auto first = source.Get();
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(first->expiration.has_value());
  // Several threads ask at once, as the follow engine's shard workers do.
  std::string refreshed;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (refreshed.empty() && std::chrono::steady_clock::now() < deadline) {
    std::vector<std::thread> threads;
    std::mutex mu;
    std::vector<std::string> seen;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&] {
        auto c = source.Get();
        std::lock_guard lock(mu);
        seen.push_back(c.ok() ? c->access_key_id : "error: " + c.status().message());
      });
    }
    for (auto& t : threads) t.join();
    for (const std::string& s : seen) {
      ASSERT_FALSE(s.starts_with("error")) << s;
      if (s != first->access_key_id) refreshed = s;
    }
    if (refreshed.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a deadline
  }
  EXPECT_FALSE(refreshed.empty()) << "credentials were not refreshed within 15 s";
  EXPECT_NE(refreshed, first->access_key_id);
}

}  // namespace
}  // namespace ki::test
