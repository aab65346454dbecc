#include "paused_run.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "http/curl_http_client.h"
#include "kinesis/kinesis_client.h"
#include "sink/sink_factory.h"

namespace ki::test {
namespace {

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// The child: never returns. Reports "P" when paused before COMMIT, else "E<message>" and exits.
[[noreturn]] void RunChild(int fd, const std::string& endpoint, const std::string& db,
                           ImportOptions options) {
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  KinesisClientConfig config;
  config.endpoint = endpoint;
  config.region = "us-east-1";
  config.credentials.access_key_id = key != nullptr ? key : "AKIDKINESISIMPORTTEST";
  config.credentials.secret_access_key = secret != nullptr ? secret : "kinesis-import-test-secret";
  config.credentials.source = "test";
  CurlHttpClient http{HttpOptions{}};
  KinesisClient kinesis(http, SystemClock(), config);
  auto sink = OpenSink(db);
  if (!sink.ok()) {
    WriteAll(fd, "Eopening the sink: " + sink.status().message());
    _exit(3);
  }
  options.before_commit = [fd] {
    WriteAll(fd, "P");
    for (;;) pause();  // until the parent's SIGKILL
  };
  auto report = RunImport(kinesis, **sink, options, SystemClock());
  WriteAll(fd, "Ethe run ended without reaching COMMIT's hook: " +
                   (report.ok() ? std::string("it returned a report") : report.status().message()));
  _exit(4);
}

}  // namespace

PausedRun::PausedRun(const std::string& endpoint, const std::string& db, ImportOptions options) {
  int fds[2];
  if (pipe(fds) != 0) {
    why_ = std::string("pipe: ") + std::strerror(errno);
    return;
  }
  pid_ = fork();
  if (pid_ == 0) {
    close(fds[0]);
    RunChild(fds[1], endpoint, db, std::move(options));
  }
  close(fds[1]);
  if (pid_ < 0) {
    why_ = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    return;
  }
  read_fd_ = fds[0];
}

PausedRun::~PausedRun() {
  if (pid_ > 0) (void)KillAndReap();
  if (read_fd_ >= 0) close(read_fd_);
}

bool PausedRun::WaitUntilPaused(std::chrono::milliseconds deadline) {
  if (read_fd_ < 0) return false;
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::string got;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      why_ = "the run did not reach COMMIT within " + std::to_string(deadline.count()) + " ms";
      return false;
    }
    pollfd pfd{read_fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      why_ = std::string("poll: ") + std::strerror(errno);
      return false;
    }
    if (ready == 0) continue;  // the deadline check above ends the loop
    char buf[4096];
    const ssize_t n = read(read_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      got.append(buf, static_cast<size_t>(n));
      if (got == "P") return true;
      if (got[0] == 'P') {
        why_ = "unexpected report from the child: " + got;
        return false;
      }
      continue;  // an error message: read until the child closes the pipe
    }
    why_ = got.empty() ? "the child ended without a report" : got.substr(1);
    return false;
  }
}

int PausedRun::KillAndReap() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

}  // namespace ki::test
