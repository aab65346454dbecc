// A small HTTP/1.1 server for /metrics and /healthz: one thread, a poll loop over a listening
// socket and a wake-up pipe, one request per connection (Connection: close), handled in turn.
// Each connection gets a deadline for its request (a client that sends nothing or too slowly is
// dropped) and a size limit; only GET and HEAD are served. Meant for loopback and scrapers, not the
// open internet.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace ki {

struct HttpServerResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6
  int port = 0;      // 0: any free port
};

// "9108" (loopback), "127.0.0.1:9108", "localhost:9108", "[::1]:9108", "0.0.0.0:9108" (all
// interfaces, only when written so).
Result<ListenAddress> ParseListenAddress(std::string_view text);

struct HttpServerOptions {
  size_t max_request_bytes = 8192;
  std::chrono::milliseconds request_timeout{2000};
};

class HttpServer {
 public:
  using Handler = std::function<HttpServerResponse(const std::string& path)>;

  // Binds and starts serving on its own thread; an error names the address (in use, refused).
  static Result<std::unique_ptr<HttpServer>> Start(const ListenAddress& address, Handler handler,
                                                   HttpServerOptions options = {});
  ~HttpServer();  // stops the thread and closes the socket
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

 private:
  HttpServer(int fd, int port, Handler handler, HttpServerOptions options);
  void Loop();
  void Serve(int client);

  int listen_fd_;
  int port_;
  int wake_[2] = {-1, -1};
  Handler handler_;
  HttpServerOptions options_;
  std::thread thread_;
};

}  // namespace ki
