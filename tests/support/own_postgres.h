// A PostgreSQL server of a test's own, which the test may stop and start (doing that to the
// shared server would break the tests running beside it): initdb with the binaries of the shared
// server (KI_POSTGRES_PGCTL, set by scripts/test), trust on loopback, a free port. Used by the
// metrics test (a database outage) and FollowTest.PostgresRestartFollowKeepsRunning.
#pragma once

#include <string>
#include <vector>

#include "test_support.h"

namespace ki::test {

// A free loopback port (bound, read, released: the service binds it a moment later).
int FreeLoopbackPort();

class OwnPostgres {
 public:
  explicit OwnPostgres(const TempDir& dir);
  ~OwnPostgres();  // stops it (immediate)
  OwnPostgres(const OwnPostgres&) = delete;
  OwnPostgres& operator=(const OwnPostgres&) = delete;

  bool started() const { return running_; }
  std::string url() const;
  bool Stop();   // fast shutdown: connections are closed
  bool Start();

 private:
  ProcessResult AsOwner(const std::vector<std::string>& argv);
  bool Ctl(std::vector<std::string> args);

  std::string bin_, data_, log_;
  int port_ = -1;
  bool running_ = false;
};

}  // namespace ki::test
