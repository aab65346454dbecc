#include "aws_endpoints_server.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace ki::test {

std::string NodeToolPath(const std::string& script) { return std::string(KI_NODE_TOOLS) + "/" + script; }

AwsEndpointsServer::AwsEndpointsServer(const std::string& config_json) {
  int in_pipe[2], out_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe)) {
    ADD_FAILURE() << "pipe failed";
    return;
  }
  std::string script = NodeToolPath("aws_metadata_server.js");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) close(fd);
    execlp("node", "node", script.c_str(), config_json.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "exec node failed: %s\n", std::strerror(errno));
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  stdout_fd_ = out_pipe[0];
  fcntl(stdout_fd_, F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
    ReadAvailable(100);
    if (!events_.empty()) {
      const std::string first = events_.front();
      events_.erase(events_.begin());
      size_t at = first.find("\"port\":");
      if (at != std::string::npos) port_ = std::atoi(first.c_str() + at + 7);
    }
  }
  if (port_ == 0) ADD_FAILURE() << "aws_metadata_server.js did not report its port within 10 s";
}

AwsEndpointsServer::~AwsEndpointsServer() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string AwsEndpointsServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void AwsEndpointsServer::ReadAvailable(int timeout_ms) {
  pollfd fd{stdout_fd_, POLLIN, 0};
  if (poll(&fd, 1, timeout_ms) <= 0) return;
  char buf[8192];
  for (;;) {
    ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) break;
    pending_.append(buf, static_cast<size_t>(n));
  }
  size_t nl;
  while ((nl = pending_.find('\n')) != std::string::npos) {
    events_.push_back(pending_.substr(0, nl));
    pending_.erase(0, nl + 1);
  }
}

std::vector<std::string> AwsEndpointsServer::Events() {
  // The server prints a request's line before answering it, so by the time a client has its
  // answer the line is in the pipe; a short poll collects it.
  ReadAvailable(200);
  return events_;
}

}  // namespace ki::test
