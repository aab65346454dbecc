// No secret (secret key, session token, Authorization header, connection value) ever reaches
// stdout or stderr, also with debug logging, on success and on failure.
#include "test_support.h"

namespace ki::test {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETSECRET";
constexpr char kToken[] = "FQoGZXIvYXdzEJr//////////wEaDSESSIONTOKENxyz";
constexpr char kEnvSecret[] = "EnvSecretKeyThatMustNotLeak0123456789abcd";

void ExpectNoSecrets(const ProcessResult& r, const std::string& what) {
  for (const char* s : {kSecret, kToken, kEnvSecret, "Signature=", "Authorization", "AWS_SECRET_KEY="}) {
    EXPECT_EQ(r.out.find(s), std::string::npos) << what << " printed '" << s << "' on stdout";
    EXPECT_EQ(r.err.find(s), std::string::npos) << what << " printed '" << s << "' on stderr:\n" << r.err;
  }
}

TEST(Secrets, NeverPrintedWithDebugLogging) {
  std::string endpoint = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
  TempDir dir;
  WriteFile(dir.File("connections"),
            std::string("# test connections\nKINESIS_CONN = AWS_ACCESS_KEY=AKIDCONNECTIONTEST;AWS_SECRET_KEY=") +
                kSecret + ";AWS_SESSION_TOKEN=" + kToken + "\n");
  std::map<std::string, std::string> env{{"AWS_SECRET_ACCESS_KEY", kEnvSecret},
                                         {"AWS_SESSION_TOKEN", kToken}};
  std::string stream = UniqueName("secrets");
  std::vector<std::string> conn{"--connection", "kinesis_conn", "--connections-file", dir.File("connections"),
                                "--endpoint-url", endpoint, "--region", "us-east-1"};
  auto with = [&](std::vector<std::string> args, const std::vector<std::string>& extra) {
    args.insert(args.begin(), {"--log-level", "debug"});
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  std::vector<std::string> env_creds{"--endpoint-url", endpoint, "--region", "us-east-1"};

  auto create = RunCli(with({"stream", "create", "--stream", stream, "--shards", "1"}, conn), "", env);
  ASSERT_EQ(create.exit_code, 0) << create.err;
  ExpectNoSecrets(create, "stream create");
  // Debug logging is really on: the HTTP calls are logged.
  EXPECT_NE(create.err.find("CreateStream -> HTTP 200"), std::string::npos) << create.err;

  auto put = RunCli(with({"put", "--stream", stream, "-"}, conn), "{\"a\":1}\n{\"a\":2}\n", env);
  EXPECT_EQ(put.exit_code, 0) << put.err;
  ExpectNoSecrets(put, "put");
  for (const auto& cmd : std::vector<std::vector<std::string>>{{"peek", "--stream", stream},
                                                               {"shards", "--stream", stream}}) {
    auto r = RunCli(with(cmd, conn), "", env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ExpectNoSecrets(r, cmd[0] + " (connection)");
    auto r2 = RunCli(with(cmd, env_creds), "", env);
    EXPECT_EQ(r2.exit_code, 0) << r2.err;
    ExpectNoSecrets(r2, cmd[0] + " (environment)");
  }
  // Failures: unknown stream, unknown connection, unreachable endpoint.
  auto missing = RunCli(with({"shards", "--stream", "no-such-stream"}, conn), "", env);
  EXPECT_EQ(missing.exit_code, 1);
  ExpectNoSecrets(missing, "unknown stream");
  auto badconn = RunCli(with({"shards", "--stream", stream, "--connection", "nope",
                              "--connections-file", dir.File("connections")},
                             {"--endpoint-url", endpoint}),
                        "", env);
  EXPECT_EQ(badconn.exit_code, 2) << badconn.err;  // configuration error (README, exit codes)
  EXPECT_NE(badconn.err.find("nope"), std::string::npos) << badconn.err;
  ExpectNoSecrets(badconn, "unknown connection");
  auto down = RunCli(with({"shards", "--stream", stream, "--request-timeout-ms", "500"},
                          {"--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"}),
                     "", env);
  EXPECT_EQ(down.exit_code, 1);
  ExpectNoSecrets(down, "unreachable endpoint");
}

}  // namespace
}  // namespace ki::test
