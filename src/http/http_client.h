// The HTTP seam: the Kinesis client talks to this interface, the libcurl implementation does the
// I/O, tests substitute fakes for fault injection (empty 500s, resets, timeouts).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace ki {

using HttpHeader = std::pair<std::string, std::string>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // scheme://host[:port]/path[?query]
  std::vector<HttpHeader> headers;
  std::string body;
  // This request's own time limit (connect included), e.g. what is left of a caller's retry
  // deadline. 0: the client's HttpOptions apply; otherwise the smaller of the two is used.
  std::chrono::milliseconds timeout{0};
  // Aborts the transfer (as a retriable error) soon after it is set, so that a stopping
  // consumer does not wait for a slow answer. Optional; not owned.
  const CancellationToken* cancel = nullptr;
};

struct HttpResponse {
  long status = 0;
  std::vector<HttpHeader> headers;  // names lower-cased
  std::string body;

  // The first header with this (lower-case) name, or "".
  std::string Header(const std::string& lower_name) const {
    for (const auto& [n, v] : headers)
      if (n == lower_name) return v;
    return "";
  }
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  bool insecure = false;  // skip TLS verification (never the default)
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends the request. A transport failure (refused, reset, timeout, TLS) is an error of kind
  // kRetriable; any HTTP status, including 5xx, is a successful Send with that status.
  // Thread-safe: implementations keep one connection per thread.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
  // As Send, into `response` (status and headers replaced, body cleared first). A caller in a hot
  // loop passes the same response every time: an implementation that fills the body in place
  // (CurlHttpClient does) then reuses its capacity instead of growing a fresh multi-MB buffer per
  // call (page faults, zeroing, memmove on every growth). On error `response` is unspecified.
  virtual Status SendInto(const HttpRequest& request, HttpResponse& response) {
    Result<HttpResponse> r = Send(request);
    if (!r.ok()) return r.status();
    response = std::move(*r);
    return Status::Ok();
  }
};

}  // namespace ki
