#include "aws/process_credentials.h"

#include <sys/wait.h>

#include <cstdio>
#include <memory>

#include "aws/credentials_json.h"

namespace ki {
namespace {

struct PipeCloser {
  int* exit_status;
  void operator()(FILE* f) const { *exit_status = pclose(f); }
};

}  // namespace

Result<AwsCredentials> RunCredentialProcess(const std::string& command, const std::string& origin) {
  int status = -1;
  std::string out;
  {
    std::unique_ptr<FILE, PipeCloser> pipe(popen(command.c_str(), "r"), PipeCloser{&status});
    if (!pipe) return FatalError(origin + ": cannot start credential_process");
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) {
      out.append(buf, n);
      if (out.size() > (1 << 20)) break;  // credentials are a few hundred bytes
    }
  }  // pclose waits for the command
  if (status == -1) return FatalError(origin + ": credential_process could not be waited for");
  if (WIFSIGNALED(status)) {
    return FatalError(origin + ": credential_process was killed by signal " +
                      std::to_string(WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    return FatalError(origin + ": credential_process exited with status " +
                      std::to_string(WEXITSTATUS(status)));
  }
  return ParseCredentialsJson(out, origin + " (credential_process)", /*require_version_1=*/true);
}

}  // namespace ki
