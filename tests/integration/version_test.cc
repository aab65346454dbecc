// `kinesis-import --version`: the version, the git commit it was configured from, and the
// versions of the DuckDB, libcurl and libpq libraries it runs with.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "test_support.h"

namespace ki::test {
namespace {

TEST(VersionFlag, PrintsVersionCommitAndLibraryVersions) {
  ProcessResult r = RunCli({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(kinesis-import \d+\.\d+\.\d+)"))) << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(R"(git commit ([0-9a-f]{7,40}(-dirty)?|unknown))"))) << lines[1];
  EXPECT_TRUE(std::regex_match(lines[2], std::regex(R"(DuckDB v\d+\.\d+\.\d+.*)"))) << lines[2];
  EXPECT_TRUE(std::regex_match(lines[3], std::regex(R"(libcurl \d+\.\d+\.\d+.*)"))) << lines[3];
  EXPECT_TRUE(std::regex_match(lines[4], std::regex(R"(libpq \d+\.\d+)"))) << lines[4];
}

}  // namespace
}  // namespace ki::test
