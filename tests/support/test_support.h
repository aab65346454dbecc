// Shared test helpers: running the real CLI and the Node SDK (an independent Kinesis client) as
// child processes, finding the services scripts/test started, temporary directories.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace ki::test {

struct ProcessResult {
  int exit_code = -1;  // 128+signal when killed
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) with extra environment variables (a value of "\x01unset"
// removes the variable). Waits for it to exit.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                         const std::map<std::string, std::string>& env = {});

// An integer field of the JSON report a command printed on stdout (`run --output json`);
// fails the test (and returns -1) when stdout is not JSON.
int64_t ReportField(const ProcessResult& result, const char* key);

// The kinesis-import binary under test.
ProcessResult RunCli(const std::vector<std::string>& args, const std::string& stdin_data = "",
                     const std::map<std::string, std::string>& env = {});

// node tests/node/<script> args...
ProcessResult RunNode(const std::string& script, const std::vector<std::string>& args,
                      const std::string& stdin_data = "");

// The endpoint of a service started by scripts/test (KI_KINESIS_LOCAL_ENDPOINT,
// KI_KINESALITE_ENDPOINT). Fails the test (not skips) when it is missing.
std::string ServiceEndpoint(const char* env_name);

// A stream name unique to this process and call.
std::string UniqueName(const std::string& prefix);

// Splits on '\n', dropping a trailing empty line.
std::vector<std::string> Lines(const std::string& text);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content);

}  // namespace ki::test
