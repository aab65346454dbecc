// Inputs the fuzz targets (fuzz/) found, kept as unit tests so the fix stays. Each would have been
// caught here by the sanitizer run of the unit tests (scripts/test), which halts on any report.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "kinesis/kinesis_client.h"

namespace ki {
namespace {

// get_records_fuzz / list_shards_fuzz: an empty body whose view has no pointer made simdjson
// memcpy from nullptr (undefined behaviour, reported by UBSan). Now an ordinary unreadable body.
TEST(FuzzRegression, EmptyNullBodiesAreUnreadableResponses) {
  const std::string_view empty{};
  ASSERT_EQ(empty.data(), nullptr);

  auto records = ParseGetRecordsResponse(empty);
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().kind(), ErrorKind::kRetriable);
  EXPECT_NE(records.status().message().find("unreadable GetRecords response"), std::string::npos)
      << records.status().message();

  std::vector<ShardInfo> shards;
  std::string next;
  Status page = ParseListShardsPage(empty, shards, next);
  ASSERT_FALSE(page.ok());
  EXPECT_NE(page.message().find("unreadable ListShards response"), std::string::npos)
      << page.message();
  EXPECT_TRUE(shards.empty());

  EXPECT_FALSE(ParseDescribeStreamSummary(empty).ok());
  auto put = ParsePutRecordsResponse(empty);
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.status().message().find("unreadable PutRecords response"), std::string::npos)
      << put.status().message();
}

}  // namespace
}  // namespace ki
