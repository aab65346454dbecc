// What the in-memory sink offers the pipeline's unit tests beyond the Sink contract (which the
// conformance suite checks): every commit kept on its own, injected faults, waiting for commits.
#include "sink/memory/memory_sink.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

namespace ki {
namespace {

TableSchema IdTable() {
  TableSchema t;
  t.table = "t";
  ColumnSpec id;
  id.name = "id";
  id.type_name = "BIGINT";
  id.type = ColumnType::kBigInt;
  t.columns = {id};
  return t;
}

RowBatch Ids(int64_t first, int64_t count) {
  RowBatch batch(1);
  for (int64_t id = first; id < first + count; ++id) batch.Set(batch.AddRow(), 0).i64 = id;
  return batch;
}

class MemorySinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_->CreateTable(IdTable());
    auto schema = sink_.DescribeTable("t");
    ASSERT_TRUE(schema.ok()) << schema.status().message();
    schema_ = *schema;
  }
  std::shared_ptr<MemoryDatabase> database_ = std::make_shared<MemoryDatabase>();
  InMemorySink sink_{database_};
  TableSchema schema_;
};

TEST_F(MemorySinkTest, EachCommitIsKeptWithWhatItHeld) {
  ASSERT_TRUE(sink_.Begin(schema_).ok());
  ASSERT_TRUE(sink_.Append(Ids(0, 3)).ok());
  ASSERT_TRUE(sink_.SavePositions("s", {{"shard-a", {"3", -1}}}).ok());
  ASSERT_TRUE(sink_.Commit().ok());
  ASSERT_TRUE(sink_.Begin(schema_).ok());
  ASSERT_TRUE(sink_.Append(Ids(3, 2)).ok());
  ASSERT_TRUE(sink_.Append(Ids(5, 1)).ok());
  ASSERT_TRUE(sink_.SavePositions("s", {{"shard-a", {"4", -1}}}).ok());
  ASSERT_TRUE(sink_.SavePositions("s", {{"shard-a", {"6", -1}}}).ok());
  ASSERT_TRUE(sink_.SaveGaps({RetentionGap{"s", "shard-b", "1", -1, "9", 0}}).ok());
  ASSERT_TRUE(sink_.Commit().ok());

  std::vector<MemoryCommit> commits = database_->Commits();
  ASSERT_EQ(commits.size(), 2u);
  EXPECT_EQ(commits[0].table, "main.t");
  EXPECT_EQ(commits[0].num_rows(), 3u);
  EXPECT_EQ(commits[0].positions.at("s"), (ShardPositions{{"shard-a", {"3", -1}}}));
  ASSERT_EQ(commits[1].batches.size(), 2u);
  EXPECT_EQ(commits[1].batches[1].Get(0, 0).i64, 5);
  EXPECT_EQ(commits[1].positions.at("s"), (ShardPositions{{"shard-a", {"6", -1}}}));
  ASSERT_EQ(commits[1].gaps.size(), 1u);
  EXPECT_GT(commits[1].gaps[0].detected_at_us, 0) << "stamped with the clock";
  EXPECT_EQ(database_->RowCount("main.t"), 6u);
  EXPECT_EQ(database_->Gaps().size(), 1u);
  auto stored = database_->StoredPositions("s", "main.t");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].position, (ShardPosition{"6", -1}));
}

TEST_F(MemorySinkTest, AnInjectedCommitFailureCommitsNothingAndReleasesTheLock) {
  database_->FailNext(MemorySinkCall::kCommit, IoError("connection lost"));
  ASSERT_TRUE(sink_.Begin(schema_).ok());
  ASSERT_TRUE(sink_.Append(Ids(0, 3)).ok());
  ASSERT_TRUE(sink_.SavePositions("s", {{"shard-a", {"3", -1}}}).ok());
  Status st = sink_.Commit();
  EXPECT_EQ(st.kind(), ErrorKind::kIo);
  EXPECT_EQ(st.message(), "connection lost");
  EXPECT_EQ(database_->CommitCount(), 0u);
  EXPECT_EQ(database_->RowCount("main.t"), 0u);
  // The run is over (no transaction open) and another sink gets the stream's lock.
  EXPECT_EQ(sink_.Commit().kind(), ErrorKind::kInternal);
  InMemorySink other(database_);
  ASSERT_TRUE(other.Begin(schema_).ok());
  auto positions = other.LoadPositions("s");
  ASSERT_TRUE(positions.ok()) << positions.status().message();
  EXPECT_TRUE(positions->empty());
  ASSERT_TRUE(other.Commit().ok());  // the fault was used once
  EXPECT_EQ(database_->CommitCount(), 1u);
}

TEST_F(MemorySinkTest, InjectedFaultsHitTheirCallOnce) {
  database_->FailNext(MemorySinkCall::kBegin, IoError("no connection"));
  database_->FailNext(MemorySinkCall::kAppend, IoError("append failed"));
  database_->FailNext(MemorySinkCall::kSavePositions, IoError("save failed"));
  EXPECT_EQ(sink_.Begin(schema_).message(), "no connection");
  ASSERT_TRUE(sink_.Begin(schema_).ok());
  EXPECT_EQ(sink_.Append(Ids(0, 1)).message(), "append failed");
  EXPECT_TRUE(sink_.Append(Ids(0, 1)).ok());
  EXPECT_EQ(sink_.SavePositions("s", {{"a", {"1", -1}}}).message(), "save failed");
  EXPECT_TRUE(sink_.SavePositions("s", {{"a", {"1", -1}}}).ok());
  sink_.Rollback();
  EXPECT_EQ(database_->CommitCount(), 0u);
}

TEST_F(MemorySinkTest, WaitForCommitsWakesUpOnACommitFromAnotherThread) {
  EXPECT_FALSE(database_->WaitForCommits(1, std::chrono::milliseconds(10)));
  std::thread committer([&] {
    InMemorySink other(database_);
    ASSERT_TRUE(other.Begin(schema_).ok());
    ASSERT_TRUE(other.Append(Ids(0, 1)).ok());
    ASSERT_TRUE(other.Commit().ok());
  });
  EXPECT_TRUE(database_->WaitForCommits(1, std::chrono::seconds(10)));
  committer.join();
  EXPECT_EQ(database_->RowCount("main.t"), 1u);
}

}  // namespace
}  // namespace ki
