// `kinesis-import --version`: this build and the libraries it runs with (the ones loaded at run
// time, which for the shared libcurl, libpq and libduckdb may differ from the build machine's).
#include <curl/curl.h>
#include <duckdb.h>
#include <libpq-fe.h>

#include <string>

#include "cli/build_info.h"
#include "cli/commands.h"

namespace ki::cli {

std::string VersionText() {
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  int pq = PQlibVersion();  // 150018 for 15.18 (10 and later: major * 10000 + minor)
  std::string libpq = std::to_string(pq / 10000) + "." + std::to_string(pq % 10000);
  return std::string("kinesis-import ") + KI_VERSION + "\n" +
         "git commit " + KI_GIT_COMMIT + "\n" +
         "DuckDB " + duckdb_library_version() + "\n" +
         "libcurl " + (curl && curl->version ? curl->version : "unknown") + "\n" +
         "libpq " + libpq;
}

}  // namespace ki::cli
