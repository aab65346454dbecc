// AWS Signature Version 4, Authorization-header variant (no pre-signed URLs, no S3 rules, no
// chunked payloads).
//
// Both entry points are pure functions of their arguments: the signing time comes in through
// SigningParams and the clock is never read, so the AWS signing test suite and the Node SDK
// comparison in tests/unit/sigv4_test.cc can reproduce signatures exactly. Thread-safe.
//
// What gets signed:
// - Every header the request carries, plus the ones the signer adds (X-Amz-Date, and
//   X-Amz-Security-Token / X-Amz-Content-Sha256 when applicable), EXCEPT the headers that
//   proxies and HTTP stacks rewrite on the way: authorization, cache-control, connection, expect,
//   from, keep-alive, max-forwards, pragma, referer, te, trailer, transfer-encoding, upgrade,
//   user-agent, x-amzn-trace-id, proxy-*, sec-*. This is the list the AWS SDK for JavaScript v3
//   (@smithy/signature-v4) uses, so a request signs identically here and there.
// - Header names are lower-cased; values are trimmed, CR/LF become spaces and runs of spaces or
//   tabs collapse to one; repeated names are joined with "," in order of appearance.
// - The payload hash is always the hex SHA-256 of the body (no UNSIGNED-PAYLOAD).
//
// Canonical URI: `path` is taken as it goes on the wire and each byte outside A-Za-z0-9-._~ and
// '/' is percent-encoded, so an already-encoded path is encoded a second time, as AWS requires for
// every service except S3. With normalize_path, empty and "." segments are dropped and ".." removes
// the previous segment (the rule of @smithy/signature-v4).
// Canonical query: parameters are percent-decoded ('+' stays '+'), re-encoded, and sorted by key
// then value; a parameter without '=' gets an empty value ("key=").
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_credentials.h"
#include "common/status.h"
#include "http/http_client.h"

namespace ki {

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // signing name, "kinesis"
  std::chrono::system_clock::time_point time;  // sub-second part ignored
  bool normalize_path = true;
  // Adds and signs x-amz-content-sha256 (S3-style; the JavaScript SDK also does it for Kinesis).
  // Kinesis does not require it.
  bool add_content_sha256_header = false;
  // False sends X-Amz-Security-Token without signing it (a few services, e.g. IoT, want that).
  bool sign_session_token = true;
};

struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lower-case hex
  std::string authorization;  // the Authorization header value
  // To append to the request, in this order: X-Amz-Date, X-Amz-Security-Token (when the
  // credentials have a session token), X-Amz-Content-Sha256 (when asked), Authorization.
  std::vector<HttpHeader> headers_to_add;
};

// Low level. `path` is the raw request path ("" means "/"), `query` the raw query without '?',
// `headers` all headers as they will be sent, which must include Host. Headers the signer
// generates (Authorization, X-Amz-Date, and X-Amz-Security-Token / X-Amz-Content-Sha256 when it
// adds them) are ignored if present in `headers`, so a request can be signed again on retry.
SigningResult SignV4(std::string_view method, std::string_view path, std::string_view query,
                     const std::vector<HttpHeader>& headers, std::string_view body,
                     const AwsCredentials& creds, const SigningParams& params);

// High level, used by the Kinesis client. Parses request.url (http or https,
// scheme://host[:port]/path?query; IPv6 literals in brackets), takes the Host value exactly as
// libcurl sends it (the URL's host as written, plus ":port" only when the port is not the scheme
// default 80/443) unless the request carries its own Host header, and signs request.headers plus
// Host. Appends SigningResult::headers_to_add to request.headers, first removing any earlier
// Authorization, X-Amz-Date, X-Amz-Security-Token (and X-Amz-Content-Sha256 when it adds one), so
// signing a retried request again is safe. Never adds a Host header (curl sends it).
// Errors: kInvalidArgument for a URL it cannot parse, an unsupported scheme, user info in the URL,
// a bad port, or credentials without an access key id or secret.
Status SignHttpRequest(HttpRequest& request, const AwsCredentials& creds,
                       const SigningParams& params);

// Helpers exposed for tests and other AWS code.
std::string Sha256Hex(std::string_view data);
// "20150830T123600Z"
std::string FormatAmzDate(std::chrono::system_clock::time_point time);

}  // namespace ki
