// A process the test starts and leaves running (follow, a producer), with stdout and stderr going
// to files, stopped with real signals and reaped with a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ki::test {

class ChildProcess {
 public:
  // Starts argv (argv[0] searched in PATH); stdout/stderr go to `log_prefix`.out / .err.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_prefix);
  // SIGKILLs and reaps a child still running.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Waits for the exit up to `deadline`: the exit code (128+signal when killed), or -1 when it
  // is still running then.
  int Wait(std::chrono::milliseconds deadline);
  bool running();
  std::string Out() const;
  std::string Err() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string out_, err_;
};

// The kinesis-import binary under test / node tests/node/<script>, as ChildProcess argv.
std::vector<std::string> CliArgv(const std::vector<std::string>& args);
std::vector<std::string> NodeArgv(const std::string& script, const std::vector<std::string>& args);

}  // namespace ki::test
