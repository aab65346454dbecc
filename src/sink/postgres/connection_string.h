// PostgreSQL connection strings in messages: never with a password.
#pragma once

#include <string>
#include <vector>

namespace ki {

// `conninfo` (a postgresql:// or postgres:// URI, or libpq key=value settings) with every
// password replaced by "***": the password of a URI's user info (user:pass@host), and the values
// of password= / sslpassword= in key=value settings or in a URI's query. Anything it cannot parse
// is cut at the first password keyword. Pure; safe for any input.
std::string RedactConnectionString(const std::string& conninfo);

// The secrets `conninfo` contains (as written and as libpq decodes them, e.g. percent-decoded),
// for scrubbing them out of messages that libpq or the server produce. Empty strings are left out.
std::vector<std::string> ConnectionStringSecrets(const std::string& conninfo);

// `message` with every occurrence of each secret replaced by "***".
std::string ScrubSecrets(std::string message, const std::vector<std::string>& secrets);

}  // namespace ki
