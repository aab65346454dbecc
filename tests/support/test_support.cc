#include "test_support.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

extern char** environ;

namespace ki::test {

int64_t ReportField(const ProcessResult& result, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  int64_t value = 0;
  if (parser.parse(result.out).get(doc) || doc[key].get_int64().get(value)) {
    ADD_FAILURE() << "no integer '" << key << "' in the JSON report: " << result.out << result.err;
    return -1;
  }
  return value;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data,
                         const std::map<std::string, std::string>& env) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) {
    ADD_FAILURE() << "pipe failed";
    return {};
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    for (const auto& [k, v] : env) {
      if (v == "\x01unset") unsetenv(k.c_str());
      else setenv(k.c_str(), v.c_str(), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  signal(SIGPIPE, SIG_IGN);
  ProcessResult r;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3];
    int n = 0;
    int i_out = -1, i_err = -1, i_in = -1;
    if (out_open) { fds[n] = {out_pipe[0], POLLIN, 0}; i_out = n++; }
    if (err_open) { fds[n] = {err_pipe[0], POLLIN, 0}; i_err = n++; }
    if (in_fd >= 0) { fds[n] = {in_fd, POLLOUT, 0}; i_in = n++; }
    if (poll(fds, n, -1) < 0) break;
    if (i_in >= 0 && fds[i_in].revents) {
      ssize_t w = write(in_fd, stdin_data.data() + written, stdin_data.size() - written);
      if (w > 0) written += size_t(w);
      if (w < 0 || written == stdin_data.size()) { close(in_fd); in_fd = -1; }
    }
    if (i_out >= 0 && fds[i_out].revents) {
      ssize_t k = read(out_pipe[0], buf, sizeof buf);
      if (k > 0) r.out.append(buf, size_t(k)); else out_open = false;
    }
    if (i_err >= 0 && fds[i_err].revents) {
      ssize_t k = read(err_pipe[0], buf, sizeof buf);
      if (k > 0) r.err.append(buf, size_t(k)); else err_open = false;
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

ProcessResult RunCli(const std::vector<std::string>& args, const std::string& stdin_data,
                     const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{KI_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, stdin_data, env);
}

ProcessResult RunNode(const std::string& script, const std::vector<std::string>& args,
                      const std::string& stdin_data) {
  std::vector<std::string> argv{"node", std::string(KI_NODE_TOOLS) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, stdin_data);
}

std::string ServiceEndpoint(const char* env_name) {
  const char* v = std::getenv(env_name);
  if (!v || !*v) {
    ADD_FAILURE() << env_name << " is not set: run the integration tests through scripts/test, "
                  << "which starts the emulators";
    return "http://127.0.0.1:9";
  }
  return v;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/kinesis-import-test.XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
  path_ = dir != nullptr ? dir : "/nonexistent";
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
}

}  // namespace ki::test
