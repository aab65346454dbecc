// SigV4 signer tests: the AWS signing test suite (header variant, all cases under
// KI_SIGV4_TESTDATA), SignHttpRequest behaviour for Kinesis traffic, and a comparison with the AWS
// SDK for JavaScript v3 signer (tests/node/sigv4_reference.js).
#include "aws/sigv4.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ki {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

constexpr size_t kExpectedSuiteCases = 38;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string StripOneTrailingNewline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// "2015-08-30T12:36:00Z"
system_clock::time_point ParseIsoTime(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) != 6) {
    ADD_FAILURE() << "bad timestamp '" << text << "'";
    return {};
  }
  using namespace std::chrono;
  return sys_days{year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)}} +
         hours{h} + minutes{mi} + seconds{s};
}

std::vector<std::string> SuiteCaseNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(KI_SIGV4_TESTDATA, ec))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct ParsedRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<HttpHeader> headers;
  std::string body;
};

// request.txt: "METHOD TARGET HTTP/1.1", "Name:value" lines (a line starting with whitespace
// continues the previous value), a blank line, then the body.
ParsedRequest ParseRequestFile(const std::string& text) {
  ParsedRequest req;
  std::string head = text;
  const size_t blank = text.find("\n\n");
  if (blank != std::string::npos) {
    head = text.substr(0, blank);
    req.body = text.substr(blank + 2);
  }
  std::vector<std::string> lines;
  std::istringstream in(head);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  if (lines.empty()) {
    ADD_FAILURE() << "empty request.txt";
    return req;
  }
  // The target may contain spaces ("/example space/"): it is whatever lies between the method
  // and the protocol version.
  const std::string& first = lines[0];
  const size_t sp1 = first.find(' ');
  const size_t sp2 = first.rfind(' ');
  req.method = first.substr(0, sp1);
  const std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !req.headers.empty()) {
      req.headers.back().second += "\n" + line;
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      ADD_FAILURE() << "bad header line '" << line << "'";
      continue;
    }
    req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return req;
}

struct SuiteContext {
  AwsCredentials creds;
  SigningParams params;
};

SuiteContext ParseContextFile(const fs::path& path) {
  SuiteContext ctx;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.load(path.string()).get(root)) {
    ADD_FAILURE() << path << ": " << simdjson::error_message(error);
    return ctx;
  }
  auto str = [&](simdjson::dom::element e, const char* key) -> std::string {
    std::string_view v;
    if (e[key].get(v)) return "";
    return std::string(v);
  };
  auto flag = [&](const char* key, bool fallback) {
    bool v = fallback;
    if (root[key].get(v)) return fallback;
    return v;
  };
  simdjson::dom::element creds;
  if (root["credentials"].get(creds)) {
    ADD_FAILURE() << path << ": no credentials";
    return ctx;
  }
  ctx.creds.access_key_id = str(creds, "access_key_id");
  ctx.creds.secret_access_key = str(creds, "secret_access_key");
  ctx.creds.session_token = str(creds, "token");
  ctx.params.region = str(root, "region");
  ctx.params.service = str(root, "service");
  ctx.params.time = ParseIsoTime(str(root, "timestamp"));
  ctx.params.normalize_path = flag("normalize", true);
  ctx.params.add_content_sha256_header = flag("sign_body", false);
  ctx.params.sign_session_token = !flag("omit_session_token", false);
  return ctx;
}

std::string TestNameFor(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) c = '_';
  return name;
}

// --- AWS signing test suite ------------------------------------------------------------------

class SigV4SuiteCase : public testing::TestWithParam<std::string> {};

TEST_P(SigV4SuiteCase, MatchesExpectedOutput) {
  const fs::path dir = fs::path(KI_SIGV4_TESTDATA) / GetParam();
  const ParsedRequest req = ParseRequestFile(ReadFile(dir / "request.txt"));
  const SuiteContext ctx = ParseContextFile(dir / "context.json");

  const SigningResult result =
      SignV4(req.method, req.path, req.query, req.headers, req.body, ctx.creds, ctx.params);

  EXPECT_EQ(result.canonical_request,
            StripOneTrailingNewline(ReadFile(dir / "header-canonical-request.txt")));
  EXPECT_EQ(result.string_to_sign,
            StripOneTrailingNewline(ReadFile(dir / "header-string-to-sign.txt")));
  EXPECT_EQ(result.signature, StripOneTrailingNewline(ReadFile(dir / "header-signature.txt")));

  // Every header we add must appear, with the same value, in the expected signed request.
  const std::string signed_request = ReadFile(dir / "header-signed-request.txt");
  std::vector<std::string> expected_lines;
  std::istringstream in(signed_request);
  for (std::string line; std::getline(in, line);) expected_lines.push_back(Lower(line));
  for (const auto& [name, value] : result.headers_to_add) {
    const std::string want = Lower(name + ":" + value);
    EXPECT_NE(std::find(expected_lines.begin(), expected_lines.end(), want), expected_lines.end())
        << "header '" << name << ": " << value << "' not in header-signed-request.txt";
  }
}

INSTANTIATE_TEST_SUITE_P(SigV4, SigV4SuiteCase, testing::ValuesIn(SuiteCaseNames()), TestNameFor);

TEST(SigV4Suite, FindsAllCases) {
  // A missing or renamed folder would otherwise just shrink the parameterized suite silently.
  EXPECT_EQ(SuiteCaseNames().size(), kExpectedSuiteCases) << "cases under " << KI_SIGV4_TESTDATA;
}

// --- SignHttpRequest ---------------------------------------------------------------------------

constexpr char kKinesisListShards[] = R"({"StreamName":"orders","MaxResults":100})";

AwsCredentials TestCredentials(bool with_token) {
  AwsCredentials creds;
  creds.access_key_id = "AKID";
  creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  if (with_token) creds.session_token = "FwoGZXIvYXdzEXAMPLETOKEN//////////+abc==";
  creds.source = "test";
  return creds;
}

SigningParams KinesisParams() {
  SigningParams params;
  params.region = "us-east-1";
  params.service = "kinesis";
  params.time = ParseIsoTime("2015-08-30T12:36:00Z");
  return params;
}

HttpRequest KinesisRequest(const std::string& url) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "Kinesis_20131202.ListShards"}};
  req.body = kKinesisListShards;
  return req;
}

std::vector<std::string> HeaderValues(const HttpRequest& req, const std::string& lower_name) {
  std::vector<std::string> values;
  for (const auto& [name, value] : req.headers)
    if (Lower(name) == lower_name) values.push_back(value);
  return values;
}

std::string AuthorizationOf(const HttpRequest& req) {
  const auto values = HeaderValues(req, "authorization");
  EXPECT_EQ(values.size(), 1u);
  return values.empty() ? "" : values[0];
}

// The Authorization SignV4 produces when the request is sent with this Host header.
std::string AuthorizationWithHost(const HttpRequest& unsigned_req, const std::string& host,
                                  const std::string& path, const AwsCredentials& creds,
                                  const SigningParams& params) {
  std::vector<HttpHeader> headers = unsigned_req.headers;
  headers.emplace_back("Host", host);
  return SignV4(unsigned_req.method, path, "", headers, unsigned_req.body, creds, params)
      .authorization;
}

TEST(SigV4SignHttpRequest, KinesisPostWithSessionToken) {
  const AwsCredentials creds = TestCredentials(/*with_token=*/true);
  const HttpRequest original = KinesisRequest("http://127.0.0.1:4567/");
  HttpRequest req = original;
  ASSERT_TRUE(SignHttpRequest(req, creds, KinesisParams()).ok());

  const std::string auth = AuthorizationOf(req);
  EXPECT_NE(auth.find("Credential=AKID/20150830/us-east-1/kinesis/aws4_request"),
            std::string::npos)
      << auth;
  EXPECT_NE(
      auth.find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,"),
      std::string::npos)
      << auth;
  EXPECT_EQ(HeaderValues(req, "x-amz-date"), std::vector<std::string>{"20150830T123600Z"});
  EXPECT_EQ(HeaderValues(req, "x-amz-security-token"),
            std::vector<std::string>{creds.session_token});
  EXPECT_TRUE(HeaderValues(req, "host").empty()) << "curl sends Host; we must not add one";
  EXPECT_EQ(auth, AuthorizationWithHost(original, "127.0.0.1:4567", "/", creds, KinesisParams()));
}

TEST(SigV4SignHttpRequest, HostIsWhatCurlSends) {
  const AwsCredentials creds = TestCredentials(/*with_token=*/false);
  struct Case {
    std::string url;
    std::string host;
    std::string path;
  };
  const Case cases[] = {
      {"https://kinesis.us-east-1.amazonaws.com/", "kinesis.us-east-1.amazonaws.com", "/"},
      {"https://kinesis.us-east-1.amazonaws.com:443/", "kinesis.us-east-1.amazonaws.com", "/"},
      {"https://kinesis.us-east-1.amazonaws.com", "kinesis.us-east-1.amazonaws.com", "/"},
      {"HTTPS://Kinesis.Example.com:8443/", "Kinesis.Example.com:8443", "/"},
      {"http://localhost:80/", "localhost", "/"},
      {"http://localhost:443/", "localhost:443", "/"},
      {"http://localhost:04567/", "localhost:4567", "/"},
      {"http://[::1]:4567/a/b#frag", "[::1]:4567", "/a/b"},
  };
  for (const Case& c : cases) {
    HttpRequest req = KinesisRequest(c.url);
    ASSERT_TRUE(SignHttpRequest(req, creds, KinesisParams()).ok()) << c.url;
    EXPECT_EQ(AuthorizationOf(req),
              AuthorizationWithHost(KinesisRequest(c.url), c.host, c.path, creds, KinesisParams()))
        << c.url;
  }
}

TEST(SigV4SignHttpRequest, CallerHostHeaderIsSignedNotDuplicated) {
  const AwsCredentials creds = TestCredentials(/*with_token=*/false);
  HttpRequest req = KinesisRequest("http://127.0.0.1:4567/");
  req.headers.emplace_back("Host", "kinesis.local");
  const HttpRequest original = req;
  ASSERT_TRUE(SignHttpRequest(req, creds, KinesisParams()).ok());
  EXPECT_EQ(HeaderValues(req, "host"), std::vector<std::string>{"kinesis.local"});
  EXPECT_EQ(AuthorizationOf(req), SignV4("POST", "/", "", original.headers, original.body, creds,
                                         KinesisParams())
                                      .authorization);
}

TEST(SigV4SignHttpRequest, DeterministicAndBodySensitive) {
  const AwsCredentials creds = TestCredentials(/*with_token=*/true);
  HttpRequest a = KinesisRequest("https://kinesis.us-east-1.amazonaws.com/");
  HttpRequest b = a;
  HttpRequest c = a;
  c.body = R"({"StreamName":"orders","MaxResults":101})";
  ASSERT_TRUE(SignHttpRequest(a, creds, KinesisParams()).ok());
  ASSERT_TRUE(SignHttpRequest(b, creds, KinesisParams()).ok());
  ASSERT_TRUE(SignHttpRequest(c, creds, KinesisParams()).ok());
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_NE(AuthorizationOf(a), AuthorizationOf(c));
}

TEST(SigV4SignHttpRequest, ResigningReplacesEarlierSignature) {
  const AwsCredentials creds = TestCredentials(/*with_token=*/true);
  HttpRequest fresh = KinesisRequest("https://kinesis.us-east-1.amazonaws.com/");
  HttpRequest retried = fresh;
  SigningParams later = KinesisParams();
  later.time += std::chrono::seconds(90);
  ASSERT_TRUE(SignHttpRequest(retried, creds, KinesisParams()).ok());
  ASSERT_TRUE(SignHttpRequest(retried, creds, later).ok());
  ASSERT_TRUE(SignHttpRequest(fresh, creds, later).ok());
  EXPECT_EQ(retried.headers, fresh.headers);
  EXPECT_EQ(HeaderValues(retried, "x-amz-date"), std::vector<std::string>{"20150830T123730Z"});
}

TEST(SigV4SignHttpRequest, SkipsHeadersThatProxiesRewrite) {
  const AwsCredentials creds = TestCredentials(/*with_token=*/false);
  HttpRequest req = KinesisRequest("https://kinesis.us-east-1.amazonaws.com/");
  req.headers.emplace_back("User-Agent", "kinesis-import/0.1");
  req.headers.emplace_back("Expect", "");
  ASSERT_TRUE(SignHttpRequest(req, creds, KinesisParams()).ok());
  EXPECT_NE(AuthorizationOf(req).find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
            std::string::npos)
      << AuthorizationOf(req);
}

TEST(SigV4SignHttpRequest, ContentSha256HeaderOnRequest) {
  const AwsCredentials creds = TestCredentials(/*with_token=*/false);
  SigningParams params = KinesisParams();
  params.add_content_sha256_header = true;
  HttpRequest req = KinesisRequest("https://kinesis.us-east-1.amazonaws.com/");
  ASSERT_TRUE(SignHttpRequest(req, creds, params).ok());
  EXPECT_EQ(HeaderValues(req, "x-amz-content-sha256"),
            std::vector<std::string>{Sha256Hex(kKinesisListShards)});
  EXPECT_NE(AuthorizationOf(req).find(
                "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target,"),
            std::string::npos);
}

TEST(SigV4SignHttpRequest, RejectsWhatItCannotSign) {
  const AwsCredentials creds = TestCredentials(/*with_token=*/false);
  for (const char* url : {"kinesis.us-east-1.amazonaws.com/", "ftp://example.com/", "http:///x",
                          "http://user:pw@example.com/", "http://example.com:0/",
                          "http://example.com:99999/", "http://example.com:12ab/",
                          "http://[::1/"}) {
    HttpRequest req = KinesisRequest(url);
    const Status st = SignHttpRequest(req, creds, KinesisParams());
    EXPECT_EQ(st.kind(), ErrorKind::kInvalidArgument) << url;
    EXPECT_EQ(req.headers.size(), 2u) << url << ": request must be left unsigned";
  }
  AwsCredentials empty;
  empty.source = "environment";
  HttpRequest req = KinesisRequest("https://kinesis.us-east-1.amazonaws.com/");
  const Status st = SignHttpRequest(req, empty, KinesisParams());
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(st.message().find("environment"), std::string::npos) << st.message();
}

TEST(SigV4Helpers, FormatAmzDate) {
  EXPECT_EQ(FormatAmzDate(ParseIsoTime("2015-08-30T12:36:00Z") + std::chrono::milliseconds(999)),
            "20150830T123600Z");
  EXPECT_EQ(FormatAmzDate(ParseIsoTime("2024-02-29T23:59:59Z")), "20240229T235959Z");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// --- Comparison with the AWS SDK for JavaScript v3 ---------------------------------------------

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

struct CommandOutput {
  int exit_code = -1;
  std::string out;
};

CommandOutput RunCommand(const std::string& command) {
  CommandOutput result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct NodeCase {
  std::string url;
  std::string host;  // what curl sends for url
  std::string target;
  std::string body;
  std::vector<HttpHeader> extra_headers;
  bool with_token;
  bool content_sha256;
  std::string region;
  std::string iso_time;
};

TEST(SigV4NodeReference, MatchesAwsSdkForJavaScript) {
  const fs::path script =
      fs::path(__FILE__).parent_path().parent_path() / "node" / "sigv4_reference.js";
  ASSERT_TRUE(OnPath("node")) << "`node` is not on PATH; this test compares our SigV4 signer with "
                                 "the AWS SDK for JavaScript and needs Node.js 18 or newer";
  ASSERT_TRUE(fs::exists(script)) << "missing reference script " << script;

  const NodeCase cases[] = {
      {"https://kinesis.us-east-1.amazonaws.com/", "kinesis.us-east-1.amazonaws.com",
       "Kinesis_20131202.ListShards", R"({"StreamName":"orders"})", {}, false, false, "us-east-1",
       "2015-08-30T12:36:00Z"},
      {"http://127.0.0.1:4567/", "127.0.0.1:4567", "Kinesis_20131202.GetRecords",
       "{\"ShardIterator\":\"AAAAAAAAAAF+/x==\",\"Limit\":1000,\"note\":\"caf\xc3\xa9 \xe2\x98\x83\"}",
       {{"User-Agent", "kinesis-import/0.1"}, {"X-Custom-Trace", "  a   b\tc  "}}, true, false,
       "eu-west-1", "2024-02-29T23:59:59Z"},
      {"https://kinesis.ap-southeast-2.amazonaws.com:443/", "kinesis.ap-southeast-2.amazonaws.com",
       "Kinesis_20131202.PutRecords",
       "{\n  \"StreamName\": \"orders\",\n  \"Records\": [{\"Data\": \"eyJpZCI6MX0=\", "
       "\"PartitionKey\": \"k1\"}]\n}",
       {}, true, true, "ap-southeast-2", "2026-01-01T00:00:00Z"},
  };

  const fs::path input_file =
      fs::temp_directory_path() / ("ki_sigv4_node_" + std::to_string(::getpid()) + ".json");
  for (const NodeCase& c : cases) {
    HttpRequest req;
    req.method = "POST";
    req.url = c.url;
    req.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", c.target}};
    req.headers.insert(req.headers.end(), c.extra_headers.begin(), c.extra_headers.end());
    req.body = c.body;
    const AwsCredentials creds = TestCredentials(c.with_token);

    std::string headers_json;
    for (const auto& [name, value] : req.headers) {
      if (!headers_json.empty()) headers_json += ",";
      headers_json += JsonString(name) + ":" + JsonString(value);
    }
    std::string json = "{\"method\":\"POST\",\"host\":" + JsonString(c.host) +
                       ",\"path\":\"/\",\"headers\":{" + headers_json +
                       "},\"body\":" + JsonString(c.body) +
                       ",\"accessKeyId\":" + JsonString(creds.access_key_id) +
                       ",\"secretAccessKey\":" + JsonString(creds.secret_access_key) +
                       ",\"region\":" + JsonString(c.region) + ",\"service\":\"kinesis\"" +
                       ",\"isoTime\":" + JsonString(c.iso_time) +
                       ",\"applyChecksum\":" + (c.content_sha256 ? "true" : "false");
    if (c.with_token) json += ",\"sessionToken\":" + JsonString(creds.session_token);
    json += "}";
    {
      std::ofstream out(input_file, std::ios::binary);
      out << json;
    }

    SigningParams params;
    params.region = c.region;
    params.service = "kinesis";
    params.time = ParseIsoTime(c.iso_time);
    params.add_content_sha256_header = c.content_sha256;
    ASSERT_TRUE(SignHttpRequest(req, creds, params).ok()) << c.url;

    const CommandOutput node = RunCommand("node " + ShellQuote(script.string()) + " < " +
                                          ShellQuote(input_file.string()) + " 2>&1");
    ASSERT_EQ(node.exit_code, 0)
        << "node " << script << " failed (run `npm ci` in tests/node if a module is missing):\n"
        << node.out;
    EXPECT_EQ(AuthorizationOf(req), StripOneTrailingNewline(node.out))
        << c.target << " " << c.url << "\ninput: " << json;
  }
  fs::remove(input_file);
}

}  // namespace
}  // namespace ki
