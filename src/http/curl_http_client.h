// HttpClient over libcurl. Each thread gets its own easy handle (libcurl handles are not
// thread-safe), kept for the client's lifetime so connections are reused (keep-alive; HTTP/2 over
// TLS when the server offers it). TLS peer and host verification are on unless `insecure`.
// Proxies come from the standard variables (https_proxy, http_proxy, no_proxy), as libcurl reads
// them itself.
#pragma once

#include <memory>

#include "http/http_client.h"

namespace ki {

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpOptions options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request) override;
  Status SendInto(const HttpRequest& request, HttpResponse& response) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ki
