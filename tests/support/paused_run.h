// An import run in a child process that the test stops just before COMMIT, for the crash tests.
//
// The child calls RunImport (the library, as `kinesis-import run` does) with a before_commit hook
// that writes one byte to a pipe and then blocks for good. The parent blocks on that pipe (with a
// deadline, through poll) instead of polling for a marker, then kills the child with SIGKILL: a
// crash after every row and position is written and before anything is committed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "pipeline/import_run.h"

namespace ki::test {

class PausedRun {
 public:
  // Forks the child: it imports `options.stream` from the Kinesis endpoint into `db` (a DuckDB
  // file or a PostgreSQL connection string), with the dummy credentials scripts/test exports.
  // Call it while this process holds no DuckDB file open and runs no other thread.
  PausedRun(const std::string& endpoint, const std::string& db, ImportOptions options);
  // Kills and reaps the child if the test has not.
  ~PausedRun();
  PausedRun(const PausedRun&) = delete;
  PausedRun& operator=(const PausedRun&) = delete;

  // Blocks until the child reports that it sits before COMMIT (true), or until it ends without
  // getting there or the deadline passes (false; why() then says what happened).
  bool WaitUntilPaused(std::chrono::milliseconds deadline = std::chrono::seconds(120));
  // SIGKILLs the child and reaps it. Returns the wait status (WIFSIGNALED for a killed child).
  int KillAndReap();

  const std::string& why() const { return why_; }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  std::string why_;
};

}  // namespace ki::test
