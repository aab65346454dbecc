// libFuzzer target: the connections file (NAME = AWS_ACCESS_KEY=...;AWS_SECRET_KEY=...[;
// AWS_SESSION_TOKEN=...] lines, the Exasol connector's format). Build and run: scripts/fuzz.
//
// Every name the parser lists must be found again by Lookup (names are case-insensitive), and
// credentials it returns must come from the file's bytes.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aws/credentials_provider.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto file = ki::ConnectionsFile::Parse(text, "/fuzz/connections");
  if (!file.ok()) {
    if (file.status().kind() != ki::ErrorKind::kInvalidArgument) std::abort();
    return 0;
  }
  for (const std::string& name : file->Names()) {
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    for (const std::string& asked : {name, upper}) {
      auto creds = file->Lookup(asked);
      if (!creds.ok()) {
        // Only the value can be wrong: the name was listed.
        if (creds.status().kind() != ki::ErrorKind::kInvalidArgument) std::abort();
        continue;
      }
      if (creds->access_key_id.empty() || creds->secret_access_key.empty()) std::abort();
      if (text.find(creds->access_key_id) == std::string::npos ||
          text.find(creds->secret_access_key) == std::string::npos ||
          text.find(creds->session_token) == std::string::npos) {
        std::abort();
      }
    }
  }
  auto missing = file->Lookup("no such connection name");  // not a valid name: never found
  if (missing.ok()) std::abort();
  return 0;
}
