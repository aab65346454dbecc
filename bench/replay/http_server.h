// HTTP/1.1 with keep-alive on a loopback socket, one thread per connection: the connector opens
// one connection per reader thread, so connections are few and long-lived, and a blocking thread
// each is both the simplest and (measured in docs/performance.md) fast enough.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "kinesis_api.h"

namespace replay {

class HttpServer {
 public:
  explicit HttpServer(KinesisApi& api) : api_(api) {}
  ~HttpServer();

  // Binds host:port (port 0: a free one). Only 127.0.0.1 is accepted. Returns an error message.
  std::optional<std::string> Listen(const std::string& host, int port);
  int port() const { return port_; }
  // Accepts connections until Stop() (from another thread); each gets a detached thread.
  void Serve();
  void Stop();

 private:
  void ServeConnection(int fd);

  KinesisApi& api_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace replay
