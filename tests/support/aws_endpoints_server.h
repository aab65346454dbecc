// tests/node/aws_metadata_server.js as a child process: loopback stand-ins for IMDSv2, the
// container credentials endpoint and STS (see that script for what each answers). Why not the
// real thing: there is no EC2 instance, ECS task or STS to talk to in a test; the script answers
// as they document, and verifies AssumeRole's SigV4 with Node's crypto.
// Started in the constructor (waits up to 10 s for its port), stopped (SIGTERM, reaped) in the
// destructor. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ki::test {

class AwsEndpointsServer {
 public:
  explicit AwsEndpointsServer(const std::string& config_json);
  ~AwsEndpointsServer();
  AwsEndpointsServer(const AwsEndpointsServer&) = delete;
  AwsEndpointsServer& operator=(const AwsEndpointsServer&) = delete;

  bool started() const { return port_ > 0; }
  // "http://127.0.0.1:PORT"
  std::string url() const;
  // The JSON lines the server printed for the requests it handled so far (one per request).
  std::vector<std::string> Events();

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  std::string pending_;
  std::vector<std::string> events_;
  void ReadAvailable(int timeout_ms);
};

// tests/node/<script>, for RunProcess.
std::string NodeToolPath(const std::string& script);

}  // namespace ki::test
