// The engine (pipeline/engine.h) against a scripted record source and the in-memory sink (which
// passes the sink conformance suite): the shard lifecycle, retention gaps, per-shard backoff,
// iterator expiry, the commit policy and stop. No DuckDB threads here, so ThreadSanitizer sees
// only the engine's own (scripts/test runs these under it).
#include "pipeline/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "scripted_source.h"
#include <set>

#include "sink/memory/memory_sink.h"

namespace ki::test {
namespace {

using std::chrono::milliseconds;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TableSchema t;
    t.table = "t";
    ColumnSpec v;
    v.name = "v";
    v.type_name = "BIGINT";
    v.type = ColumnType::kBigInt;
    t.columns = {v};
    db_->CreateTable(t);
    options_.stream = "s";
    options_.table = "t";
    options_.min_call_interval = milliseconds(0);
    options_.idle_poll_interval = milliseconds(5);
    options_.shard_retry.base_delay = milliseconds(1);
    options_.shard_retry.max_delay = milliseconds(5);
    options_.max_records_per_run = 1000000;
  }
  // Shard `shard` (index for sequence numbers) gets records with values [from, to).
  void Records(const std::string& shard, int index, int from, int to) {
    for (int v = from; v < to; ++v)
      source_.AddRecord(shard, ScriptedSource::Seq(index, v), "{\"v\": " + std::to_string(v) + "}");
  }
  // A run on a new sink of the same database (as a new process would).
  Result<ImportReport> Run() {
    InMemorySink sink(db_);
    BorrowedSink sinks(sink);
    return RunEngine(source_, sinks, options_, SystemClock());
  }
  // "rows,distinct values\n" over every commit.
  std::string Count() {
    size_t rows = 0;
    std::set<int64_t> values;
    for (const MemoryCommit& c : db_->Commits()) {
      for (const RowBatch& b : c.batches) {
        for (size_t r = 0; r < b.num_rows(); ++r) values.insert(b.Get(r, 0).i64);
        rows += b.num_rows();
      }
    }
    return std::to_string(rows) + "," + std::to_string(values.size()) + "\n";
  }

  std::shared_ptr<MemoryDatabase> db_ = std::make_shared<MemoryDatabase>();
  ScriptedSource source_;
  ImportOptions options_;
};

TEST_F(EngineTest, ChildrenAreReadOnlyAfterTheirParentsEnd) {
  source_.AddShard("p0", "", "", true);
  source_.AddShard("p1", "", "", true);
  source_.AddShard("c-split", "p0");
  source_.AddShard("c-merge", "p0", "p1");
  Records("p0", 0, 0, 50);
  Records("p1", 1, 50, 100);
  Records("c-split", 2, 100, 120);
  Records("c-merge", 3, 120, 130);
  source_.Close("p0", {{"c-split", {"p0"}}, {"c-merge", {"p0", "p1"}}});
  source_.Close("p1", {{"c-merge", {"p0", "p1"}}});
  options_.get_records_limit = 7;  // several calls per shard
  options_.reader_threads = 4;
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->total_records, 130);
  auto calls = source_.calls();
  auto last = [&](const std::string& prefix) {
    int at = -1;
    for (int i = 0; i < static_cast<int>(calls.size()); ++i)
      if (calls[i].rfind(prefix, 0) == 0) at = i;
    return at;
  };
  auto first = [&](const std::string& prefix) {
    for (int i = 0; i < static_cast<int>(calls.size()); ++i)
      if (calls[i].rfind(prefix, 0) == 0) return i;
    return -1;
  };
  ASSERT_GE(first("GetRecords c-split"), 0);
  EXPECT_GT(first("GetShardIterator c-split"), last("GetRecords p0"));
  EXPECT_GT(first("GetShardIterator c-merge"), last("GetRecords p0"));
  EXPECT_GT(first("GetShardIterator c-merge"), last("GetRecords p1"));
  EXPECT_EQ(Count(), "130,130\n");
}

TEST_F(EngineTest, AParentThatExpiredDoesNotBlockItsChild) {
  source_.AddShard("child", "gone-parent");
  Records("child", 0, 0, 10);
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->total_records, 10);
}

TEST_F(EngineTest, RunReadsUntilCaughtUpAndCapsPerShard) {
  source_.AddShard("a");
  source_.AddShard("b");
  Records("a", 0, 0, 30);
  Records("b", 1, 30, 40);
  options_.max_records_per_run = 20;
  options_.get_records_limit = 6;
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->total_records, 30);  // 20 of a (capped), 10 of b
  EXPECT_EQ(r->commits, 1);
  auto again = Run();
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->total_records, 10);  // the rest of a
  EXPECT_EQ(Count(), "40,40\n");
}

TEST_F(EngineTest, ATrimmedStoredPositionFailsNamingShardAndPositions) {
  source_.AddShard("a");
  Records("a", 0, 0, 10);
  ASSERT_TRUE(Run().ok());
  Records("a", 0, 10, 30);
  source_.Trim("a", 20);  // records 10..19 are gone before anyone imported them
  auto r = Run();
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("stream 's' shard 'a'"), std::string::npos) << m;
  EXPECT_NE(m.find(ScriptedSource::Seq(0, 9)), std::string::npos) << "the stored position: " << m;
  EXPECT_NE(m.find(ScriptedSource::Seq(0, 20)), std::string::npos) << "the earliest readable: " << m;
  EXPECT_NE(m.find("--on-trimmed continue"), std::string::npos) << m;
  EXPECT_EQ(Count(), "10,10\n") << "nothing of the failed run is committed";
}

TEST_F(EngineTest, ATrimmedStoredPositionUnderContinueIsRecordedAsAGap) {
  source_.AddShard("a");
  Records("a", 0, 0, 10);
  ASSERT_TRUE(Run().ok());
  Records("a", 0, 10, 30);
  source_.Trim("a", 20);
  options_.on_trimmed = OnTrimmed::kContinue;
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->gaps, 1);
  EXPECT_EQ(r->total_records, 10);
  auto gaps = db_->Gaps();
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].shard_id, "a");
  EXPECT_EQ(gaps[0].last_sequence_number, ScriptedSource::Seq(0, 9));
  EXPECT_EQ(gaps[0].first_sequence_number_after, ScriptedSource::Seq(0, 20));
  EXPECT_EQ(Count(), "20,20\n");
}

TEST_F(EngineTest, AResumeThatFindsItsRecordIsNoGap) {
  source_.AddShard("a");
  Records("a", 0, 0, 10);
  ASSERT_TRUE(Run().ok());
  Records("a", 0, 10, 15);
  source_.Trim("a", 9);  // the stored record itself is still there
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->gaps, 0);
  EXPECT_EQ(Count(), "15,15\n");
}

TEST_F(EngineTest, AThrottledShardDoesNotStallTheOthersOnOneThread) {
  source_.AddShard("hot");
  source_.AddShard("cold");
  Records("hot", 0, 0, 5);
  Records("cold", 1, 5, 15);
  source_.Throttle("hot", 5);
  options_.reader_threads = 1;
  options_.get_records_limit = 2;
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->total_records, 15);
  // cold was read while hot was still being throttled: the one thread did not sit in hot's backoff.
  auto calls = source_.calls();
  int last_throttle = -1, first_cold = -1;
  for (int i = 0; i < static_cast<int>(calls.size()); ++i) {
    if (calls[i] == "GetRecords hot throttled") last_throttle = i;
    if (first_cold < 0 && calls[i].rfind("GetRecords cold", 0) == 0) first_cold = i;
  }
  EXPECT_LT(first_cold, last_throttle);
}

TEST_F(EngineTest, RunGivesUpOnAShardThrottledPastTheRetryBudget) {
  source_.AddShard("hot");
  Records("hot", 0, 0, 5);
  source_.Throttle("hot", 1000);
  options_.shard_retry.max_attempts = 4;
  auto r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("gave up after 4 attempts"), std::string::npos) << r.status().message();
  EXPECT_EQ(source_.get_records_calls("hot"), 4);
}

TEST_F(EngineTest, AnExpiredIteratorIsReacquiredFromTheLastRecord) {
  source_.AddShard("a");
  Records("a", 0, 0, 20);
  options_.get_records_limit = 8;
  ASSERT_TRUE(Run().ok());  // 20 rows
  Records("a", 0, 20, 30);
  source_.Expire("a", 2);
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->total_records, 10);
  EXPECT_EQ(Count(), "30,30\n");
}

TEST_F(EngineTest, FollowCommitsByRecordsAndStopsWithWhatItAppended) {
  source_.AddShard("a");
  Records("a", 0, 0, 95);
  CancellationToken stop;
  std::atomic<int64_t> committed{0};
  std::atomic<int> commits{0};
  options_.follow = true;
  options_.stop = &stop;
  options_.commit_records = 10;
  options_.commit_interval = milliseconds(60000);
  options_.get_records_limit = 10;
  options_.after_commit = [&](const CommitInfo& c) {
    committed += c.rows;
    ++commits;
    if (committed >= 90) stop.Cancel();
  };
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GE(commits.load(), 9) << "a commit per 10 rows";
  // The stop commits what the readers had handed over by then: the last 5 rows or not yet.
  const int64_t n = committed.load();
  EXPECT_TRUE(n == 90 || n == 95) << n;
  EXPECT_EQ(Count(), std::to_string(n) + "," + std::to_string(n) + "\n");
  // The next start resumes exactly after the last commit.
  options_.follow = false;
  options_.stop = nullptr;
  options_.after_commit = nullptr;
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Count(), "95,95\n");
}

TEST_F(EngineTest, FollowCommitsByTimeAndPicksUpNewRecords) {
  source_.AddShard("a");
  Records("a", 0, 0, 5);
  CancellationToken stop;
  std::atomic<int64_t> committed{0};
  options_.follow = true;
  options_.stop = &stop;
  options_.commit_interval = milliseconds(20);
  options_.after_commit = [&](const CommitInfo& c) {
    committed += c.rows;
    if (committed == 5) Records("a", 0, 5, 12);  // arrive while following
    if (committed >= 12) stop.Cancel();
  };
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(committed.load(), 12);
  EXPECT_EQ(Count(), "12,12\n");
}

TEST_F(EngineTest, FollowStartsChildrenWhenTheParentEndsWhileFollowing) {
  source_.AddShard("p");
  Records("p", 0, 0, 5);
  CancellationToken stop;
  std::atomic<int64_t> committed{0};
  std::atomic<bool> split{false};
  options_.follow = true;
  options_.stop = &stop;
  options_.commit_interval = milliseconds(20);
  options_.shard_refresh = milliseconds(60000);  // the parent's end must trigger the refresh
  options_.after_commit = [&](const CommitInfo& c) {
    committed += c.rows;
    if (committed == 5 && !split.exchange(true)) {
      source_.AddShard("c", "p");
      Records("c", 1, 5, 9);
      source_.Close("p", {{"c", {"p"}}});
    }
    if (committed >= 9) stop.Cancel();
  };
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(committed.load(), 9);
}

TEST_F(EngineTest, AStopBeforeAnythingArrivesCommitsNothingAndReturns) {
  source_.AddShard("a");
  CancellationToken stop;
  options_.follow = true;
  options_.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    stop.Cancel();
  });
  auto began = std::chrono::steady_clock::now();
  auto r = Run();
  stopper.join();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->commits, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
}

}  // namespace
}  // namespace ki::test
