// CachingCredentialsSource (refresh ahead of expiry, keeping old credentials when a refresh fails,
// one resolver at a time), the Kinesis client asking its source on every request, the STS answer
// parser and the container endpoint's http host rule. Scripted providers and a FakeClock: the
// time-dependent cases (5 minutes ahead, expiry) are reproduced without waiting; the real
// endpoints are covered by tests/integration/credential_chain_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aws/credentials_source.h"
#include "aws/metadata_credentials.h"
#include "aws/sts_client.h"
#include "fake_clock.h"
#include "fake_http_client.h"
#include "kinesis/kinesis_client.h"

namespace ki {
namespace {

using fakes::FakeClock;
using std::chrono::minutes;
using std::chrono::seconds;

// Answers Load() from a script; counts calls. Shared state so the test keeps a handle after the
// chain took ownership of the provider.
struct Script {
  std::mutex mu;
  std::deque<Result<std::optional<AwsCredentials>>> answers;
  std::atomic<int> loads{0};
  std::chrono::milliseconds delay{0};
};

class ScriptedProvider : public CredentialsProvider {
 public:
  explicit ScriptedProvider(std::shared_ptr<Script> script) : script_(std::move(script)) {}
  Result<std::optional<AwsCredentials>> Load() override {
    ++script_->loads;
    if (script_->delay.count() > 0) std::this_thread::sleep_for(script_->delay);  // simulated slow STS
    std::lock_guard lock(script_->mu);
    if (script_->answers.empty()) return FatalError("scripted provider: no answer left");
    auto a = std::move(script_->answers.front());
    script_->answers.pop_front();
    return a;
  }
  std::string Describe() const override { return "scripted"; }

 private:
  std::shared_ptr<Script> script_;
};

AwsCredentials Temp(const std::string& id, std::chrono::system_clock::time_point expires) {
  return AwsCredentials{id, "secret-" + id, "token-" + id, "scripted", expires};
}

class CachingCredentialsSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<CachingCredentialsSource> Make() {
    CredentialsChain chain;
    chain.AddProvider(std::make_unique<ScriptedProvider>(script_));
    return std::make_unique<CachingCredentialsSource>(std::move(chain), clock_);
  }
  void Answer(Result<std::optional<AwsCredentials>> a) { script_->answers.push_back(std::move(a)); }

  FakeClock clock_;
  std::shared_ptr<Script> script_ = std::make_shared<Script>();
};

TEST_F(CachingCredentialsSourceTest, RefreshesFiveMinutesBeforeExpiry) {
  Answer(std::optional(Temp("A", clock_.Now() + minutes(60))));
  Answer(std::optional(Temp("B", clock_.Now() + minutes(120))));
  auto source = Make();
  EXPECT_EQ(source->Get()->access_key_id, "A");
  clock_.SleepFor(minutes(54));  // 6 minutes left: still cached
  EXPECT_EQ(source->Get()->access_key_id, "A");
  EXPECT_EQ(script_->loads, 1);
  clock_.SleepFor(minutes(1) + seconds(1));  // 4:59 left: inside the window
  EXPECT_EQ(source->Get()->access_key_id, "B");
  EXPECT_EQ(script_->loads, 2);
}

TEST_F(CachingCredentialsSourceTest, LongTermKeysAreResolvedOnce) {
  Answer(std::optional(AwsCredentials{"AKIA", "s", "", "env", std::nullopt}));
  auto source = Make();
  for (int i = 0; i < 3; ++i) {
    clock_.SleepFor(minutes(600));
    EXPECT_EQ(source->Get()->access_key_id, "AKIA");
  }
  EXPECT_EQ(script_->loads, 1);
}

TEST_F(CachingCredentialsSourceTest, FailedRefreshKeepsOldCredentialsUntilTheyExpire) {
  Answer(std::optional(Temp("A", clock_.Now() + minutes(10))));
  Answer(Status::Error(ErrorKind::kRetriable, "STS unreachable"));
  Answer(Status::Error(ErrorKind::kRetriable, "STS unreachable"));
  auto source = Make();
  ASSERT_EQ(source->Get()->access_key_id, "A");
  clock_.SleepFor(minutes(6));  // 4 minutes left
  EXPECT_EQ(source->Get()->access_key_id, "A");  // refresh failed, old ones still valid
  EXPECT_EQ(script_->loads, 2);
  EXPECT_EQ(source->Get()->access_key_id, "A");  // not retried within the retry interval
  EXPECT_EQ(script_->loads, 2);
  clock_.SleepFor(minutes(5));  // expired now
  auto expired = source->Get();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().kind(), ErrorKind::kRetriable);
  EXPECT_NE(expired.status().message().find("STS unreachable"), std::string::npos);
}

TEST_F(CachingCredentialsSourceTest, ManyThreadsResolveOnce) {
  Answer(std::optional(Temp("A", clock_.Now() + minutes(60))));
  script_->delay = std::chrono::milliseconds(50);
  auto source = Make();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto c = source->Get();
      if (c.ok() && c->access_key_id == "A") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(script_->loads, 1);
}

TEST(KinesisClientCredentials, EveryRequestAsksTheSource) {
  struct Rotating : CredentialsSource {
    std::atomic<int> calls{0};
    Result<AwsCredentials> Get() override {
      int n = ++calls;
      return AwsCredentials{"AKIDCALL" + std::to_string(n), "secret", "", "test", std::nullopt};
    }
  };
  auto source = std::make_shared<Rotating>();
  fakes::FakeHttpClient http;
  FakeClock clock;
  http.AddResponse(200, R"({"ShardIterator":"it-1"})");
  http.AddResponse(200, R"({"ShardIterator":"it-2"})");
  KinesisClientConfig config;
  config.endpoint = "http://127.0.0.1:1";
  config.region = "us-east-1";
  config.credentials_source = source;
  KinesisClient client(http, clock, config);
  IteratorStart start;
  ASSERT_TRUE(client.GetShardIterator("s", "shardId-000000000000", start).ok());
  ASSERT_TRUE(client.GetShardIterator("s", "shardId-000000000000", start).ok());
  auto requests = http.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(fakes::FakeHttpClient::Header(requests[0], "authorization").find("Credential=AKIDCALL1/"),
            std::string::npos);
  EXPECT_NE(fakes::FakeHttpClient::Header(requests[1], "authorization").find("Credential=AKIDCALL2/"),
            std::string::npos);
}

TEST(StsResponse, ParsesCredentialsAndErrors) {
  auto ok = ParseStsResponse(
      200,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>"
      "<SecretAccessKey>s&amp;s</SecretAccessKey><SessionToken>t</SessionToken>"
      "<Expiration>2026-12-01T14:00:00Z</Expiration></Credentials></AssumeRoleResult>"
      "</AssumeRoleResponse>",
      "AssumeRole", "arn:aws:iam::1:role/r");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->access_key_id, "ASIAX");
  EXPECT_EQ(ok->secret_access_key, "s&s");
  ASSERT_TRUE(ok->expiration.has_value());

  auto denied = ParseStsResponse(
      403,
      "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed"
      "</Message></Error><RequestId>req-1</RequestId></ErrorResponse>",
      "AssumeRole", "arn:aws:iam::1:role/r");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().kind(), ErrorKind::kFatal);
  EXPECT_EQ(denied.status().detail().aws_error_type, "AccessDenied");
  EXPECT_EQ(denied.status().detail().request_id, "req-1");
  EXPECT_NE(denied.status().message().find("arn:aws:iam::1:role/r"), std::string::npos);

  auto throttled = ParseStsResponse(400, "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>",
                                    "AssumeRole", "r");
  ASSERT_FALSE(throttled.ok());
  EXPECT_TRUE(throttled.status().detail().retriable);
}

TEST(StsEndpoint, RegionalUnlessOverridden) {
  MapEnvironment env;
  EXPECT_EQ(*ResolveStsEndpoint("eu-west-1", env), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(*ResolveStsEndpoint("", env), "https://sts.us-east-1.amazonaws.com");
  EXPECT_EQ(*ResolveStsEndpoint("cn-north-1", env), "https://sts.cn-north-1.amazonaws.com.cn");
  env.Set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/");
  EXPECT_EQ(*ResolveStsEndpoint("eu-west-1", env), "http://127.0.0.1:9");
}

TEST(ContainerCredentials, PlainHttpOnlyToLoopbackOrTheLinkLocalHosts) {
  fakes::FakeHttpClient http;
  http.SetResponder([](const HttpRequest&) -> Result<HttpResponse> {
    HttpResponse r;
    r.status = 200;
    r.body = R"({"AccessKeyId":"ASIAC","SecretAccessKey":"s","Token":"t","Expiration":"2099-01-01T00:00:00Z"})";
    return r;
  });
  for (const char* ok : {"http://127.0.0.1:80/c", "http://127.10.0.1/c", "http://localhost/c",
                         "http://169.254.170.23/v1/credentials", "http://[::1]:9/c", "https://example.com/c"}) {
    MapEnvironment env(std::map<std::string, std::string>{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", ok}});
    auto c = ContainerCredentialsProvider(http, env).Load();
    EXPECT_TRUE(c.ok() && c->has_value()) << ok << ": " << c.status().message();
  }
  for (const char* bad : {"http://192.0.2.1/c", "http://128.0.0.1/c", "http://127.0.0.1.evil.com/c",
                          "ftp://127.0.0.1/c"}) {
    MapEnvironment env(std::map<std::string, std::string>{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", bad}});
    auto c = ContainerCredentialsProvider(http, env).Load();
    EXPECT_FALSE(c.ok()) << bad;
  }
  MapEnvironment relative(std::map<std::string, std::string>{{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x"}});
  ASSERT_TRUE(ContainerCredentialsProvider(http, relative).Load().ok());
  EXPECT_EQ(http.requests().back().url, "http://169.254.170.2/v2/credentials/x");
}

TEST(ImdsCredentials, DisabledMeansNoRequest) {
  fakes::FakeHttpClient http;  // would fail the test loudly if asked
  MapEnvironment env(std::map<std::string, std::string>{{"AWS_EC2_METADATA_DISABLED", "true"}});
  ImdsCredentialsProvider imds(http, env);
  auto c = imds.Load();
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
  EXPECT_EQ(http.requests().size(), 0u);
  EXPECT_NE(imds.Describe().find("disabled"), std::string::npos);
}

TEST(ImdsCredentials, TokenFirstWithShortTimeout) {
  fakes::FakeHttpClient http;
  http.AddTransportError(Status::Error(ErrorKind::kRetriable, "connect timeout"));
  MapEnvironment env;
  ImdsCredentialsProvider imds(http, env);
  auto c = imds.Load();
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
  ASSERT_EQ(http.requests().size(), 1u);
  EXPECT_EQ(http.requests()[0].method, "PUT");
  EXPECT_EQ(http.requests()[0].url, "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(http.requests()[0].timeout, std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace ki
