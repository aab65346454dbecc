#include "http/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <thread>

namespace ki {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

// Content-Length reserves at most this much ahead (GetRecords answers are at most 10 MB of data,
// ~13.4 MB as base64 in JSON).
constexpr uint64_t kMaxReservedBody = 64u << 20;
// Bytes reserved beyond the body, so that a JSON parser that needs padding after the text
// (simdjson: 64 bytes) can use the body in place.
constexpr uint64_t kBodySlack = 64;

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  auto& headers = response->headers;
  std::string_view line(data, size * n);
  // A new status line (after a redirect or 100-continue) starts a new header block.
  if (line.starts_with("HTTP/")) {
    headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  if (name == "content-length") {
    // Room for the whole body up front: appending 16 KB pieces would otherwise regrow (and copy)
    // a GetRecords body of up to 10 MB about ten times. Capped: the header is the server's word.
    uint64_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec == std::errc() && end == value.data() + value.size() && length <= kMaxReservedBody)
      response->body.reserve(length + kBodySlack);
  }
  headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

}  // namespace

struct CurlHttpClient::Impl {
  HttpOptions options;
  std::mutex mu;
  std::map<std::thread::id, EasyHandle> handles;  // one per thread, reused for keep-alive

  CURL* HandleForThisThread() {
    std::lock_guard lock(mu);
    auto& h = handles[std::this_thread::get_id()];
    if (!h) h.reset(curl_easy_init());
    return h.get();
  }
};

CurlHttpClient::CurlHttpClient(HttpOptions options) : impl_(std::make_unique<Impl>()) {
  static CurlGlobal global;
  impl_->options = options;
}

CurlHttpClient::~CurlHttpClient() = default;

namespace {
// libcurl calls this about once a second and whenever data moves; non-zero aborts the transfer.
int AbortWhenCancelled(void* token, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const CancellationToken*>(token)->cancelled() ? 1 : 0;
}
}  // namespace

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  HttpResponse response;
  KI_RETURN_IF_ERROR(SendInto(request, response));
  return response;
}

Status CurlHttpClient::SendInto(const HttpRequest& request, HttpResponse& response) {
  response.status = 0;
  response.headers.clear();
  response.body.clear();  // keeps the capacity of the caller's earlier responses
  CURL* curl = impl_->HandleForThisThread();
  if (!curl) return InternalError("curl_easy_init failed");
  // Reset clears per-request options but keeps the connection cache.
  curl_easy_reset(curl);

  Slist headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // libcurl would otherwise add "Expect: 100-continue" for large bodies: one extra round trip.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));

  char error[CURL_ERROR_SIZE] = {0};
  const auto& o = impl_->options;
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "POST" || !request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  auto connect_timeout = o.connect_timeout;
  auto request_timeout = o.request_timeout;
  if (request.timeout.count() > 0) {
    // At least 1 ms: 0 would mean "no timeout" to libcurl.
    auto limit = std::max(request.timeout, std::chrono::milliseconds(1));
    request_timeout = request_timeout.count() > 0 ? std::min(request_timeout, limit) : limit;
    connect_timeout = connect_timeout.count() > 0 ? std::min(connect_timeout, limit) : limit;
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, o.insecure ? 0L : 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, o.insecure ? 0L : 2L);

  if (request.cancel != nullptr) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortWhenCancelled);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<CancellationToken*>(request.cancel));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    std::string what = error[0] ? error : curl_easy_strerror(rc);
    // Transport failures (refused, reset, timeout, TLS handshake) are retriable by design; a
    // persistent one surfaces after the retry budget with this message. Bad TLS certificates
    // will not heal, so those are fatal.
    ErrorKind kind = (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
                      rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
                         ? ErrorKind::kFatal
                         : ErrorKind::kRetriable;
    return Status::Error(kind, "HTTP request to " + request.url + " failed: " + what);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return Status::Ok();
}

}  // namespace ki
