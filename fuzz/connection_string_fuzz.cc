// libFuzzer target: libpq connection strings as we parse them to keep passwords out of messages
// (RedactConnectionString, ConnectionStringSecrets, ScrubSecrets) and to recognise them
// (IsPostgresConnectionString). Build and run: scripts/fuzz.
//
// Scrubbing a message with the secrets of a connection string must leave none of them in it
// (checked for secrets without '*', which the mask itself could form).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sink/postgres/connection_string.h"
#include "sink/sink_factory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string conninfo(reinterpret_cast<const char*>(data), size);
  const std::string redacted = ki::RedactConnectionString(conninfo);
  const std::vector<std::string> secrets = ki::ConnectionStringSecrets(conninfo);
  (void)ki::IsPostgresConnectionString(conninfo);
  // A server message that quotes the connection string, redacted or not.
  const std::string message = "could not connect: " + conninfo + " / " + redacted;
  const std::string scrubbed = ki::ScrubSecrets(message, secrets);
  for (const std::string& secret : secrets) {
    if (secret.empty()) std::abort();  // documented: empty strings are left out
    if (secret.find('*') == std::string::npos && scrubbed.find(secret) != std::string::npos) {
      std::abort();
    }
  }
  return 0;
}
