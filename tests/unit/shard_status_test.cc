// `kinesis-import status`'s computation (pipeline/shard_status.h): the shard states derived from
// the shard graph and the stored positions, the probe (lag, last imported arrival, the oldest
// record waiting, trimmed positions) against a scripted source with positions the real engine
// committed to the in-memory sink, the summary and the thresholds. The scripted source stands in
// for Kinesis where the emulators cannot help: a trimmed position, arrival times fixed in advance.
#include "pipeline/shard_status.h"

#include <gtest/gtest.h>

#include <chrono>

#include "fixed_clock.h"
#include "pipeline/engine.h"
#include "scripted_source.h"
#include "sink/memory/memory_sink.h"

namespace ki::test {
namespace {

using std::chrono::milliseconds;

// ScriptedSource's arrival times: this plus the record's index in its shard.
constexpr int64_t kArrivalBaseMs = 1764500000000;
constexpr int64_t kHourMs = 3600 * 1000;

// The scripted source with a retention period in its DescribeStreamSummary.
class RetentionSource final : public RecordSource {
 public:
  RetentionSource(ScriptedSource& inner, int64_t hours) : inner_(inner), hours_(hours) {}
  Result<StreamSummary> DescribeStream(const std::string& stream) override {
    KI_ASSIGN_OR_RETURN(StreamSummary s, inner_.DescribeStream(stream));
    s.retention_period_hours = hours_;
    return s;
  }
  Result<std::vector<ShardInfo>> ListShards(const std::string& stream, const CancellationToken* c) override {
    return inner_.ListShards(stream, c);
  }
  Result<std::string> GetShardIterator(const std::string& stream, const std::string& shard,
                                       const IteratorStart& start, const CancellationToken* c) override {
    return inner_.GetShardIterator(stream, shard, start, c);
  }
  Result<GetRecordsResult> GetRecords(const std::string& iterator, int limit, const std::string& stream,
                                      const std::string& shard, bool single, const CancellationToken* c) override {
    return inner_.GetRecords(iterator, limit, stream, shard, single, c);
  }

 private:
  ScriptedSource& inner_;
  int64_t hours_;
};

ShardInfo Shard(const std::string& id, const std::string& parent = "", const std::string& adjacent = "",
                bool closed = false) {
  ShardInfo s;
  s.shard_id = id;
  s.parent_shard_id = parent;
  s.adjacent_parent_shard_id = adjacent;
  if (closed) s.ending_sequence_number = "9";
  return s;
}

TEST(ShardStateTest, FollowsTheGraphAndTheStoredPositions) {
  ShardGraph graph({Shard("p0", "", "", true), Shard("p1", "", "", true), Shard("split", "p0"),
                    Shard("merge", "p0", "p1"), Shard("lone")});
  ShardPosition finished("1", -1);
  finished.finished = true;
  ShardPosition reading("2", -1);
  graph.MarkFinished("p0");
  // p0 finished; p1 closed, still being read; the split child readable but not started; the merge
  // child waits for p1; "lone" is open with a position; "gone" has a position but is no longer
  // listed (expired before it was finished).
  EXPECT_EQ(DeriveShardState(graph, "p0", &finished), ShardState::kFinished);
  EXPECT_EQ(DeriveShardState(graph, "p1", &reading), ShardState::kClosed);
  EXPECT_EQ(DeriveShardState(graph, "split", nullptr), ShardState::kNotStarted);
  EXPECT_EQ(DeriveShardState(graph, "merge", nullptr), ShardState::kWaitingForParent);
  EXPECT_EQ(DeriveShardState(graph, "lone", &reading), ShardState::kOpen);
  EXPECT_EQ(DeriveShardState(graph, "gone", &reading), ShardState::kExpired);
  EXPECT_STREQ(ShardStateName(ShardState::kWaitingForParent), "waiting_for_parent");
  EXPECT_STREQ(ShardStateName(ShardState::kNotStarted), "not_started");
  // Once p1 is finished too, the merge child may be read: not started, no longer waiting.
  graph.MarkFinished("p1");
  EXPECT_EQ(DeriveShardState(graph, "merge", nullptr), ShardState::kNotStarted);
}

class ShardStatusTest : public ::testing::Test {
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
    import_.stream = "s";
    import_.table = "t";
    import_.min_call_interval = milliseconds(0);
    options_.stream = "s";
    options_.table = "t";
  }
  void Records(const std::string& shard, int index, int from, int to) {
    for (int v = from; v < to; ++v)
      source_.AddRecord(shard, ScriptedSource::Seq(index, v), "{\"v\": " + std::to_string(v) + "}");
  }
  // The real engine imports what is there and commits its positions.
  void Import() {
    InMemorySink sink(db_);
    BorrowedSink sinks(sink);
    auto report = RunEngine(source_, sinks, import_, SystemClock());
    ASSERT_TRUE(report.ok()) << report.status().message();
  }
  StreamStatus Status(int64_t now_ms = kArrivalBaseMs + kHourMs) {
    InMemorySink sink(db_);
    auto stored = ReadStoredStatus(sink, "t", "s");
    EXPECT_TRUE(stored.ok()) << stored.status().message();
    FixedClock clock = FixedClock::AtMicros(now_ms * 1000);
    auto status = ComputeStreamStatus(retention_, stored.ok() ? *stored : StoredStatus{}, options_, clock);
    EXPECT_TRUE(status.ok()) << status.status().message();
    return status.ok() ? std::move(*status) : StreamStatus{};
  }
  static const ShardStatus& Row(const StreamStatus& st, const std::string& id) {
    for (const ShardStatus& s : st.shards) {
      if (s.shard_id == id) return s;
    }
    static ShardStatus none;
    ADD_FAILURE() << "no row for shard " << id;
    return none;
  }

  std::shared_ptr<MemoryDatabase> db_ = std::make_shared<MemoryDatabase>();
  ScriptedSource source_;
  RetentionSource retention_{source_, 24};
  ImportOptions import_;
  StatusOptions options_;
};

TEST_F(ShardStatusTest, AfterASplitTheParentIsFinishedAndTheChildrenOpen) {
  source_.AddShard("p", "", "", true);
  source_.AddShard("c1", "p");
  source_.AddShard("c2", "p");
  source_.Close("p", {{"c1", {"p"}}, {"c2", {"p"}}});
  Records("p", 0, 0, 5);
  Records("c1", 1, 5, 8);
  Records("c2", 2, 8, 10);
  Import();
  const size_t commits = db_->CommitCount();
  StreamStatus st = Status();
  ASSERT_EQ(st.shards.size(), 3u);
  EXPECT_EQ(Row(st, "p").state, ShardState::kFinished);
  EXPECT_EQ(Row(st, "c1").state, ShardState::kOpen);
  EXPECT_EQ(Row(st, "c2").state, ShardState::kOpen);
  EXPECT_EQ(Row(st, "c1").parents, std::vector<std::string>{"p"});
  EXPECT_EQ(Row(st, "c1").sequence_number, ScriptedSource::Seq(1, 7));
  // Caught up everywhere: no lag, nothing behind, nothing at risk.
  for (const ShardStatus& s : st.shards) {
    EXPECT_EQ(s.behind_latest_ms, 0) << s.shard_id;
    EXPECT_EQ(s.records_behind, 0) << s.shard_id;
    EXPECT_FALSE(s.retention_left_ms) << s.shard_id;
    EXPECT_TRUE(s.error.empty()) << s.error;
  }
  EXPECT_EQ(Row(st, "c1").last_arrival_ms, kArrivalBaseMs + 2);  // c1's third record
  EXPECT_EQ(st.behind_latest_ms, 0);
  EXPECT_EQ(st.records_behind, 0);
  EXPECT_EQ(st.retention_period_hours, 24);
  // Read only: no transaction was committed, and a run can still take the stream (the status
  // read's transaction and its lock are gone).
  EXPECT_EQ(db_->CommitCount(), commits);
  InMemorySink after(db_);
  ASSERT_TRUE(after.Begin(*after.DescribeTable("t")).ok());
  EXPECT_TRUE(after.LoadPositions("s").ok());
  after.Rollback();
}

TEST_F(ShardStatusTest, RecordsNotImportedShowAsLagAndRetentionRisk) {
  source_.AddShard("a");
  source_.AddShard("b");
  Records("a", 0, 0, 10);
  Records("b", 1, 0, 4);
  Import();
  Records("a", 0, 10, 15);  // five records waiting on a; b caught up
  StreamStatus st = Status(kArrivalBaseMs + kHourMs);
  const ShardStatus& a = Row(st, "a");
  EXPECT_EQ(a.state, ShardState::kOpen);
  EXPECT_EQ(a.behind_latest_ms, 1000);  // the scripted MillisBehindLatest while records follow
  EXPECT_FALSE(a.records_behind);       // Kinesis does not count them
  EXPECT_EQ(a.last_arrival_ms, kArrivalBaseMs + 9);
  EXPECT_EQ(a.oldest_unimported_arrival_ms, kArrivalBaseMs + 10);
  // Trimmed 24 h after it arrived; it arrived 1 h - 10 ms ago.
  EXPECT_EQ(a.retention_left_ms, 23 * kHourMs + 10);
  EXPECT_FALSE(a.trimmed);
  const ShardStatus& b = Row(st, "b");
  EXPECT_EQ(b.behind_latest_ms, 0);
  EXPECT_EQ(b.records_behind, 0);
  EXPECT_EQ(st.worst_shard, "a");
  EXPECT_EQ(st.behind_latest_ms, 1000);
  EXPECT_FALSE(st.records_behind);  // a's is unknown
  EXPECT_EQ(st.retention_left_ms, 23 * kHourMs + 10);

  StatusThresholds none;
  EXPECT_TRUE(CrossedThresholds(st, none).empty());
  StatusThresholds lag{milliseconds(500), std::nullopt, "500ms", ""};
  auto crossed = CrossedThresholds(st, lag);
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_NE(crossed[0].find("shard a is 1000 ms behind latest, more than --max-lag 500ms"), std::string::npos)
      << crossed[0];
  StatusThresholds lag_ok{milliseconds(1000), std::nullopt, "1s", ""};  // exactly at the limit
  EXPECT_TRUE(CrossedThresholds(st, lag_ok).empty());
  StatusThresholds retention{std::nullopt, milliseconds(24 * kHourMs), "", "24h"};
  crossed = CrossedThresholds(st, retention);
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_NE(crossed[0].find("shard a: its oldest record not imported is trimmed in 23 h 0 min"), std::string::npos)
      << crossed[0];
  StatusThresholds retention_ok{std::nullopt, milliseconds(2 * kHourMs), "", "2h"};
  EXPECT_TRUE(CrossedThresholds(st, retention_ok).empty());
}

TEST_F(ShardStatusTest, ShardsWithoutAPositionAreMeasuredFromTheirStart) {
  source_.AddShard("p", "", "", true);
  source_.AddShard("child", "p");
  source_.AddShard("fresh");
  source_.Close("p", {{"child", {"p"}}});
  Records("p", 0, 0, 3);
  Records("child", 1, 0, 2);
  Records("fresh", 2, 0, 2);
  StreamStatus st = Status();
  EXPECT_EQ(Row(st, "p").state, ShardState::kNotStarted);
  EXPECT_EQ(Row(st, "child").state, ShardState::kWaitingForParent);
  EXPECT_EQ(Row(st, "fresh").state, ShardState::kNotStarted);
  for (const char* id : {"p", "child", "fresh"}) {
    EXPECT_EQ(Row(st, id).behind_latest_ms, 1000) << id;  // from TRIM_HORIZON, records follow
    EXPECT_EQ(Row(st, id).oldest_unimported_arrival_ms, kArrivalBaseMs) << id;
    EXPECT_FALSE(Row(st, id).last_arrival_ms) << id;
  }
  // Started at the tip (--start-position latest): nothing waits on the shard without a position.
  options_.start_position.type = IteratorType::kLatest;
  st = Status();
  EXPECT_EQ(Row(st, "fresh").behind_latest_ms, 0);
  EXPECT_EQ(Row(st, "fresh").records_behind, 0);
  EXPECT_FALSE(Row(st, "fresh").retention_left_ms);
  // The waiting child still starts at its beginning, whatever --start-position says.
  EXPECT_EQ(Row(st, "child").oldest_unimported_arrival_ms, kArrivalBaseMs);
}

TEST_F(ShardStatusTest, APositionTrimmedPastLeavesNoRetentionAndCountsGaps) {
  source_.AddShard("a");
  Records("a", 0, 0, 5);
  Import();
  Records("a", 0, 5, 8);
  source_.Trim("a", 6);  // the stored record (4) and the next one are gone
  {
    // A gap recorded earlier for this stream and table, and one of another stream.
    InMemorySink sink(db_);
    ASSERT_TRUE(sink.Begin(*sink.DescribeTable("t")).ok());
    RetentionGap gap;
    gap.stream = "s";
    gap.shard_id = "a";
    RetentionGap other = gap;
    other.stream = "other";
    ASSERT_TRUE(sink.SaveGaps({gap, other}).ok());
    ASSERT_TRUE(sink.Commit().ok());
  }
  StreamStatus st = Status();
  const ShardStatus& a = Row(st, "a");
  EXPECT_TRUE(a.trimmed);
  EXPECT_EQ(a.retention_left_ms, 0);
  EXPECT_FALSE(a.last_arrival_ms);
  EXPECT_EQ(a.oldest_unimported_arrival_ms, kArrivalBaseMs + 6);
  EXPECT_EQ(st.gaps, 1);
  StatusThresholds retention{std::nullopt, milliseconds(1000), "", "1s"};
  auto crossed = CrossedThresholds(st, retention);
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_NE(crossed[0].find("trimmed before they were imported"), std::string::npos) << crossed[0];
}

TEST_F(ShardStatusTest, ReadsTheCommittedPositionsWhileARunHoldsTheStream) {
  source_.AddShard("a");
  Records("a", 0, 0, 3);
  Import();
  InMemorySink running(db_);
  ASSERT_TRUE(running.Begin(*running.DescribeTable("t")).ok());
  ASSERT_TRUE(running.LoadPositions("s").ok());  // the run's lock on (s, t), as follow holds it
  StreamStatus st = Status();
  EXPECT_EQ(Row(st, "a").state, ShardState::kOpen);
  EXPECT_EQ(Row(st, "a").sequence_number, ScriptedSource::Seq(0, 2));
  running.Rollback();
}

TEST_F(ShardStatusTest, AFailedProbeIsReportedOnItsShardOnly) {
  source_.AddShard("a");
  source_.AddShard("b");
  Records("a", 0, 0, 2);
  Records("b", 1, 0, 2);
  Import();
  source_.Expire("b", 1);  // the next GetRecords on b fails (single attempt: not retried here)
  StreamStatus st = Status();
  EXPECT_EQ(st.shard_errors, 1);
  EXPECT_FALSE(Row(st, "b").error.empty());
  EXPECT_FALSE(Row(st, "b").behind_latest_ms);
  EXPECT_TRUE(Row(st, "a").error.empty());
  EXPECT_EQ(Row(st, "a").behind_latest_ms, 0);
}

}  // namespace
}  // namespace ki::test
