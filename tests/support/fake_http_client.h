// A scripted fake ki::HttpClient for unit tests of the Kinesis client.
//
// Why a fake and not an emulator: the tests need faults on demand, in a given order — an HTTP 500
// with an empty body, a throttling 400, a connection reset, an expired iterator, a PutRecords
// batch where only some entries are throttled — which the real emulators cannot produce when asked.
// The integration tests cover the real wire.
//
// Contract: Send() records the request, then answers with the first scripted result in the queue
// (an HttpResponse or a transport error Status). When the queue is empty it asks the responder
// (SetResponder), and without one it returns a kInternal error, which the client does not retry,
// so a test that sends more requests than it scripted fails loudly instead of looping.
// Thread-safe: every member takes the mutex.
#pragma once

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/http_client.h"

namespace ki::fakes {

class FakeHttpClient final : public HttpClient {
 public:
  using Responder = std::function<Result<HttpResponse>(const HttpRequest&)>;

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (!script_.empty()) {
      Result<HttpResponse> r = std::move(script_.front());
      script_.pop_front();
      return r;
    }
    if (responder_) return responder_(request);
    return InternalError("FakeHttpClient: request " + std::to_string(requests_.size()) +
                         " was not scripted");
  }

  // Queues an HTTP response (header names must be lower-case, as HttpResponse promises).
  void AddResponse(long status, std::string body, std::vector<HttpHeader> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    std::lock_guard<std::mutex> lock(mu_);
    script_.emplace_back(std::move(r));
  }

  // Queues a transport failure (connection reset, timeout, ...).
  void AddTransportError(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.emplace_back(std::move(status));
  }

  // Answers requests once the queue is empty (e.g. a response that depends on the request body).
  void SetResponder(Responder responder) {
    std::lock_guard<std::mutex> lock(mu_);
    responder_ = std::move(responder);
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  size_t request_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }

  size_t unused_responses() const {
    std::lock_guard<std::mutex> lock(mu_);
    return script_.size();
  }

  // Every value of header `name` (case-insensitive) in `request`, in order.
  static std::vector<std::string> HeaderValues(const HttpRequest& request, std::string name) {
    auto lower = [](std::string s) {
      std::transform(s.begin(), s.end(), s.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return s;
    };
    name = lower(name);
    std::vector<std::string> out;
    for (const auto& [n, v] : request.headers)
      if (lower(n) == name) out.push_back(v);
    return out;
  }

  // The first value of header `name` (case-insensitive), or "".
  static std::string Header(const HttpRequest& request, const std::string& name) {
    auto values = HeaderValues(request, name);
    return values.empty() ? std::string() : values.front();
  }

 private:
  mutable std::mutex mu_;
  std::deque<Result<HttpResponse>> script_;
  Responder responder_;
  std::vector<HttpRequest> requests_;
};

}  // namespace ki::fakes
