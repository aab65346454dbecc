// `kinesis-import run` end to end: a real emulator over HTTP, a real DuckDB file, the real binary.
#include <signal.h>
#include <sys/wait.h>

#include <simdjson.h>

#include <chrono>
#include <filesystem>

#include "duckdb_file.h"
#include "paused_run.h"
#include "sensor_records.h"
#include "sink/duckdb/duckdb_sql.h"
#include "test_support.h"

namespace ki::test {
namespace {

class ImportRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    db_ = dir_.File("test.duckdb");
  }
  std::vector<std::string> Aws() const { return {"--endpoint-url", endpoint_, "--region", "us-east-1"}; }
  ProcessResult Cli(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    for (auto& a : Aws()) args.push_back(a);
    return RunCli(args, "", env);
  }
  void CreateStream(const std::string& stream, int shards) {
    auto r = Cli({"stream", "create", "--stream", stream, "--shards", std::to_string(shards)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void Put(const std::string& stream, const std::string& ndjson) {
    WriteFile(dir_.File("put.ndjson"), ndjson);
    auto r = Cli({"put", "--stream", stream, "--partition-key-field", "sensorId", dir_.File("put.ndjson")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ProcessResult Run(const std::string& stream, int64_t max, std::vector<std::string> extra = {},
                    const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args{"run", "--stream", stream, "--table", "kinesis_table", "--db", db_,
                                  "--max-records-per-run", std::to_string(max), "--output", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cli(args, env);
  }
  int64_t Imported(const ProcessResult& r) { return ReportField(r, "total_records"); }
  std::string Count() { return DuckDbCsv(db_, "SELECT count(*) FROM kinesis_table"); }
  std::string Positions() {
    return DuckDbCsv(db_, "SELECT shard_id, sequence_number FROM kinesis_import_positions ORDER BY shard_id");
  }

  TempDir dir_;
  std::string endpoint_;
  std::string db_;
};

TEST_F(ImportRunTest, SeedScenarioTenTenFiveZeroExactlyOnce) {
  std::string stream = UniqueName("seed");
  CreateStream(stream, 1);
  Put(stream, SensorRecords(1, 25));
  DuckDbCsv(db_, kDuckDbSeedTable);
  std::vector<int64_t> imported;
  for (int run = 0; run < 4; ++run) {
    auto r = Run(stream, 10);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    imported.push_back(Imported(r));
  }
  EXPECT_EQ(imported, (std::vector<int64_t>{10, 10, 5, 0}));
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), count(DISTINCT sensorId), sum(sensorId), sum(currentTemperature) FROM kinesis_table"),
            "25,25,325,2825\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM kinesis_table WHERE status <> CASE WHEN sensorId % 3 = 0 THEN 'WARN' ELSE 'OK' END"),
            "0\n");
  // Metadata equals what an independent client sees.
  auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint_, "--stream", stream});
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  std::string expected;
  simdjson::dom::parser p;
  for (const auto& line : Lines(sdk.out)) {
    simdjson::dom::element doc = p.parse(line).value();
    expected += std::string(doc["shard_id"].get_string().value()) + "," +
                std::string(doc["sequence_number"].get_string().value()) + "\n";
  }
  EXPECT_EQ(DuckDbCsv(db_, "SELECT kinesis_shard_id, shard_sequence_number FROM kinesis_table ORDER BY sensorId"), expected);
  // The stored position is the last record's.
  EXPECT_EQ(Positions(), Lines(expected).back() + "\n");
}

// --wire cbor against kinesis-local, whose CBOR answers carry Data as base64 text and arrival
// times as untagged integer milliseconds (AWS: byte strings, tag 1): the same rows, metadata and
// positions as over JSON, and a second run imports nothing.
TEST_F(ImportRunTest, CborWireGivesTheSameRowsMetadataAndPositionsAsJson) {
  std::string stream = UniqueName("cbor");
  CreateStream(stream, 2);
  Put(stream, SensorRecords(1, 40) + "{\"sensorId\": 41, \"currentTemperature\": 1, \"status\": \"\u00e9t\u00e9 \u2603\"}\n");
  const std::string table =
      "CREATE TABLE kinesis_table (sensorId DECIMAL(18,0), currentTemperature DECIMAL(18,0), status VARCHAR(100), "
      "kinesis_shard_id VARCHAR(2000), shard_sequence_number VARCHAR(2000), kinesis_partition_key VARCHAR, "
      "kinesis_arrival_time TIMESTAMP)";
  const std::string json_db = db_;
  DuckDbCsv(json_db, table);
  auto json = Run(stream, 1000);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  db_ = dir_.File("cbor.duckdb");
  DuckDbCsv(db_, table);
  auto cbor = Run(stream, 1000, {"--wire", "cbor"});
  ASSERT_EQ(cbor.exit_code, 0) << cbor.err;
  EXPECT_EQ(Imported(cbor), 41);
  const std::string all = "SELECT * FROM kinesis_table ORDER BY shard_sequence_number";
  EXPECT_EQ(DuckDbCsv(db_, all), DuckDbCsv(json_db, all));
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM kinesis_table WHERE kinesis_arrival_time > TIMESTAMP '2020-01-01'"),
            "41\n");
  const std::string positions = Positions();
  EXPECT_EQ(DuckDbCsv(json_db, "SELECT shard_id, sequence_number FROM kinesis_import_positions ORDER BY shard_id"),
            positions);
  auto again = Run(stream, 1000, {"--wire", "cbor"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Imported(again), 0);
}

TEST_F(ImportRunTest, KilledBeforeCommitChangesNothingAndNextRunImportsAllOnce) {
  std::string stream = UniqueName("kill");
  CreateStream(stream, 2);
  Put(stream, SensorRecords(1, 30));
  DuckDbCsv(db_, kDuckDbSeedTable);
  ASSERT_EQ(Run(stream, 5).exit_code, 0);  // a committed first part
  std::string count_before = Count();
  std::string positions_before = Positions();
  ASSERT_NE(count_before, "0\n");

  // Run again in a child process that stops after appending and saving positions, just before
  // COMMIT, and is killed there.
  ImportOptions options;
  options.stream = stream;
  options.table = "kinesis_table";
  options.max_records_per_run = 1000;
  PausedRun paused(endpoint_, db_, options);
  ASSERT_TRUE(paused.WaitUntilPaused()) << paused.why();
  // While it holds the file, a second run fails fast with a clear message.
  auto second = Run(stream, 10);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("in use"), std::string::npos) << second.err;
  const int status = paused.KillAndReap();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

  EXPECT_EQ(Count(), count_before);
  EXPECT_EQ(Positions(), positions_before);
  auto r = Run(stream, 1000);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), count(DISTINCT sensorId), sum(sensorId) FROM kinesis_table"), "30,30,465\n");
  EXPECT_EQ(Imported(Run(stream, 1000)), 0);
}

TEST_F(ImportRunTest, BadRecordFailsTheRunNamingShardAndSequenceAndCommitsNothing) {
  std::string stream = UniqueName("bad");
  CreateStream(stream, 1);
  Put(stream, SensorRecords(1, 3));
  DuckDbCsv(db_, kDuckDbSeedTable);
  ASSERT_EQ(Run(stream, 100).exit_code, 0);
  std::string positions_before = Positions();
  Put(stream, SensorRecords(4, 5) + "{\"sensorId\": 6, \"currentTemperature\": \"hot\", \"status\": \"OK\"}\n" +
                  SensorRecords(7, 8));
  auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint_, "--stream", stream});
  ASSERT_EQ(sdk.exit_code, 0);
  auto lines = Lines(sdk.out);
  ASSERT_EQ(lines.size(), 8u);
  simdjson::dom::parser p;
  std::string bad_seq(p.parse(lines[5]).value()["sequence_number"].get_string().value());

  for (int attempt = 0; attempt < 2; ++attempt) {  // fails the same way every time
    auto r = Run(stream, 100);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(stream), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("shardId-000000000000"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(bad_seq), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("currentTemperature"), std::string::npos) << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_EQ(Count(), "3\n");
    EXPECT_EQ(Positions(), positions_before);
  }
}

TEST_F(ImportRunTest, ResumesFromMetadataColumnsComparingSequenceNumbersNumerically) {
  std::string stream = UniqueName("resume");
  CreateStream(stream, 1);
  Put(stream, SensorRecords(1, 12));
  auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint_, "--stream", stream});
  ASSERT_EQ(sdk.exit_code, 0);
  auto lines = Lines(sdk.out);
  ASSERT_EQ(lines.size(), 12u);
  simdjson::dom::parser p;
  std::string shard(p.parse(lines[4]).value()["shard_id"].get_string().value());
  std::string seq5(p.parse(lines[4]).value()["sequence_number"].get_string().value());
  // A table filled by the seed connector up to record 5, plus a row whose sequence number is
  // shorter but sorts after as text: numeric order must ignore it.
  DuckDbCsv(db_, std::string(kDuckDbSeedTable) + "; INSERT INTO kinesis_table SELECT i, 100 + i, 'OK', '" + shard +
               "', NULL FROM range(1, 5) t(i); UPDATE kinesis_table SET shard_sequence_number = '" + seq5 +
               "' WHERE sensorId = 4; INSERT INTO kinesis_table VALUES (0, 0, 'OLD', '" + shard +
               "', '99999999999999999999')");
  auto r = Run(stream, 100);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Imported(r), 7);  // records 6..12
  EXPECT_EQ(DuckDbCsv(db_, "SELECT min(sensorId), max(sensorId), count(*) FROM kinesis_table WHERE status <> 'OLD' AND sensorId > 4"),
            "6,12,7\n");
  // From now on the positions table is the source.
  EXPECT_EQ(Imported(Run(stream, 100)), 0);
}

TEST_F(ImportRunTest, MissingTableSuggestsCreateTable) {
  std::string stream = UniqueName("notable");
  CreateStream(stream, 1);
  DuckDbCsv(db_, "CREATE TABLE other (x INTEGER)");
  auto r = Run(stream, 10);
  EXPECT_EQ(r.exit_code, 2) << "a missing table is a configuration error (README, exit codes): " << r.err;
  EXPECT_NE(r.err.find("kinesis_table"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CREATE TABLE"), std::string::npos) << r.err;
}

TEST_F(ImportRunTest, JobFileWithFlagsOverridingAndByPositionMapping) {
  std::string stream = UniqueName("config");
  CreateStream(stream, 1);
  // By position: values in document order fill the data columns in table order, whatever the keys.
  Put(stream, "{\"sensorId\": 1, \"a\": 10, \"b\": \"x\"}\n{\"sensorId\": 2, \"a\": 20, \"b\": \"y\"}\n"
              "{\"sensorId\": 3, \"a\": 30, \"b\": \"z\"}\n");
  DuckDbCsv(db_, kDuckDbSeedTable);
  WriteFile(dir_.File("job.toml"), "stream_name = \"" + stream + "\"\ntable_name = \"kinesis_table\"\ndb = \"" +
                                       db_ + "\"\nmax_records_per_run = 1\nmapping = \"by-position\"\n"
                                       "endpoint_url = \"http://127.0.0.1:9\"\n");
  // The flag --endpoint-url (in Aws()) overrides the job file's unreachable endpoint; the job
  // file's max_records_per_run applies.
  auto r = Cli({"run", "--config", dir_.File("job.toml"), "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Imported(r), 1);
  r = Cli({"run", "--config", dir_.File("job.toml"), "--max-records-per-run", "5", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Imported(r), 2);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT sensorId, currentTemperature, status FROM kinesis_table ORDER BY 1"),
            "1,10,x\n2,20,y\n3,30,z\n");
  WriteFile(dir_.File("bad.toml"), "stream_nmae = \"x\"\n");
  auto bad = Cli({"run", "--config", dir_.File("bad.toml")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("stream_nmae"), std::string::npos) << bad.err;
}

// Found by fuzz/job_file_fuzz.cc: the counts were read with toml++'s value<int64_t>(), which casts
// a float to int64_t before checking its range (undefined behaviour for 1e300) and accepted 3.0
// as 3. Only TOML integers are counts now; the error names the key, before anything is opened.
TEST(ImportRunJobFile, CountsMustBeTomlIntegers) {
  TempDir dir;
  for (const std::string& line :
       {std::string("max_records_per_run = 3.0"), std::string("max_records_per_run = 1e300"),
        std::string("max_bad_records = 2.0"), std::string("max_bad_records = -1e300")}) {
    WriteFile(dir.File("job.toml"), "stream_name = \"s\"\ntable_name = \"t\"\n" + line + "\n");
    auto r = RunCli({"run", "--config", dir.File("job.toml")});
    EXPECT_EQ(r.exit_code, 2) << line << ": " << r.err;
    const std::string key = line.substr(0, line.find(' '));
    EXPECT_NE(r.err.find("'" + key + "' must be a"), std::string::npos) << line << ": " << r.err;
    EXPECT_NE(r.err.find("integer"), std::string::npos) << line << ": " << r.err;
  }
}

// 20,000 records over 4 shards through kinesalite (fast enough for volume; kinesis-local slows
// down as shards fill), one run with a large cap.
TEST(ImportRunVolume, TwentyThousandRecordsFourShardsOneRun) {
  std::string endpoint = ServiceEndpoint("KI_KINESALITE_ENDPOINT");
  TempDir dir;
  std::string db = dir.File("volume.duckdb");
  std::string stream = UniqueName("volume");
  std::vector<std::string> aws{"--endpoint-url", endpoint, "--region", "us-east-1"};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.end(), aws.begin(), aws.end());
    return a;
  };
  ASSERT_EQ(RunCli(with({"stream", "create", "--stream", stream, "--shards", "4"})).exit_code, 0);
  std::string input;
  int64_t sum_id = 0, sum_temp = 0;
  for (int i = 1; i <= 20000; ++i) {
    int temp = (i * 7919) % 1000 - 500;
    sum_id += i;
    sum_temp += temp;
    input += "{\"sensorId\": " + std::to_string(i) + ", \"currentTemperature\": " + std::to_string(temp) +
             ", \"status\": \"s" + std::to_string(i % 10) + "\"}\n";
  }
  auto put = RunCli(with({"put", "--stream", stream, "-"}), input);
  ASSERT_EQ(put.exit_code, 0) << put.err;
  ASSERT_EQ(RunDuckDbSql(db, kDuckDbSeedTable, SqlOutputFormat::kCsv).ok(), true);
  auto r = RunCli(with({"run", "--stream", stream, "--table", "kinesis_table", "--db", db,
                        "--max-records-per-run", "100000", "--output", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(DuckDbCsv(db, "SELECT count(*), count(DISTINCT sensorId), sum(sensorId), sum(currentTemperature), "
                    "count(DISTINCT kinesis_shard_id) FROM kinesis_table"),
            "20000,20000," + std::to_string(sum_id) + "," + std::to_string(sum_temp) + ",4\n");
  EXPECT_EQ(DuckDbCsv(db, "SELECT count(*) FROM kinesis_table WHERE status <> 's' || (sensorId % 10)::INT"), "0\n");
}

// --- Issue 8: positions that lose or block data ---

class ImportPositionsTest : public ImportRunTest {
 protected:
  std::string SequenceNumbers(const std::string& stream) {
    auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint_, "--stream", stream});
    EXPECT_EQ(sdk.exit_code, 0) << sdk.err;
    std::string out;
    simdjson::dom::parser p;
    for (const auto& line : Lines(sdk.out)) {
      out += std::string(p.parse(line).value()["sequence_number"].get_string().value()) + "\n";
    }
    return out;
  }
  ProcessResult Positions(std::vector<std::string> args) {
    args.insert(args.begin(), "positions");
    args.insert(args.end(), {"--table", "kinesis_table", "--db", db_});
    return RunCli(args);
  }
};

// Case 1: a LATEST start that reads nothing keeps a time position, so what is put before the
// next run is imported by it (both emulators).
TEST_F(ImportPositionsTest, LatestThatReadsNothingRemembersWhereItStarted) {
  for (const char* service : {"KI_KINESIS_LOCAL_ENDPOINT", "KI_KINESALITE_ENDPOINT"}) {
    SCOPED_TRACE(service);
    endpoint_ = ServiceEndpoint(service);
    db_ = dir_.File(std::string(service) + ".duckdb");
    const std::string stream = UniqueName("latest");
    CreateStream(stream, 1);
    Put(stream, SensorRecords(1, 3));  // before the first run: LATEST skips these
    DuckDbCsv(db_, kDuckDbSeedTable);
    auto first = Run(stream, 100, {"--start-position", "latest"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(Imported(first), 0);
    EXPECT_EQ(DuckDbCsv(db_, "SELECT sequence_number, resume_at IS NOT NULL FROM kinesis_import_positions"),
              ",true\n");
    Put(stream, SensorRecords(11, 14));
    auto second = Run(stream, 100, {"--start-position", "latest"});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    // The 4 put after the first run; the 3 put just before it may come too (the time position
    // is taken 5 minutes early, see kLatestClockMarginMs), never twice.
    EXPECT_GE(Imported(second), 4);
    EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM kinesis_table WHERE sensorId >= 11"), "4\n");
    EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) = count(DISTINCT sensorId) FROM kinesis_table"), "true\n");
    EXPECT_EQ(Imported(Run(stream, 100, {"--start-position", "latest"})), 0);
  }
}

// Case 2: a second stream into a table that has positions of another starts at
// --start-position instead of deriving from the other stream's rows.
TEST_F(ImportPositionsTest, SecondStreamIntoTheSameTableStartsAtItsStartPosition) {
  const std::string a = UniqueName("streama"), b = UniqueName("streamb");
  CreateStream(a, 1);
  CreateStream(b, 1);
  Put(a, SensorRecords(1, 3));
  Put(b, SensorRecords(11, 12));
  DuckDbCsv(db_, kDuckDbSeedTable);
  EXPECT_EQ(Imported(Run(a, 100)), 3);
  auto rb = Run(b, 100);
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_EQ(Imported(rb), 2);
  EXPECT_EQ(Imported(Run(b, 100)), 0);
  EXPECT_EQ(Imported(Run(a, 100)), 0);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), sum(sensorId) FROM kinesis_table"), "5,29\n");
}

// Case 2: a stored position Kinesis refuses is one clear error with the way out, not retries.
// (Two streams created in the same second can share sequence numbers on the emulator, so the
// foreign position is a well-formed number this stream never had.)
TEST_F(ImportPositionsTest, StoredPositionKinesisRefusesIsOneErrorWithTheWayOut) {
  const std::string a = UniqueName("refused");
  CreateStream(a, 1);
  Put(a, SensorRecords(1, 2));
  DuckDbCsv(db_, kDuckDbSeedTable);
  EXPECT_EQ(Imported(Run(a, 100)), 2);
  const std::string foreign = "49000000000000000000000000000000000000000000000000000000";
  DuckDbCsv(db_, "UPDATE kinesis_import_positions SET sequence_number = '" + foreign + "'");
  const auto started = std::chrono::steady_clock::now();
  auto r = Run(a, 100);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("refused by Kinesis"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("kinesis-import positions reset --stream " + a), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("shardId-000000000000"), std::string::npos) << r.err;
  EXPECT_LT(took, std::chrono::seconds(10)) << "refused positions must not be retried";
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
}

// Case 3: no positions table and no subsequence column, the last run stopped inside a KPL
// aggregate: the next run resumes at the next user record.
TEST_F(ImportPositionsTest, DerivedPositionInsideAnAggregateResumesExactly) {
  const std::string stream = UniqueName("aggderive");
  CreateStream(stream, 1);
  WriteFile(dir_.File("agg.ndjson"), SensorRecords(1, 33));
  auto put = RunNode("sdk_client.js", {"put-kpl", "--endpoint", endpoint_, "--stream", stream,
                                       "--file", dir_.File("agg.ndjson"), "--per", "33"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  DuckDbCsv(db_, kDuckDbSeedTable);
  EXPECT_EQ(Imported(Run(stream, 3)), 3);
  DuckDbCsv(db_, "DROP TABLE kinesis_import_positions");  // lost positions: derive from the rows
  auto r = Run(stream, 100);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Imported(r), 30);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), count(DISTINCT sensorId), sum(sensorId) FROM kinesis_table"),
            "33,33,561\n");
}

// Case 4: a sequence-number column that cannot hold one is a schema error before any read.
TEST_F(ImportPositionsTest, SequenceNumberColumnTooNarrowIsASchemaErrorBeforeReading) {
  const std::string stream = UniqueName("narrow");
  CreateStream(stream, 1);
  Put(stream, SensorRecords(1, 2));
  for (const char* type : {"DECIMAL(38,0)", "HUGEINT", "BIGINT"}) {
    SCOPED_TRACE(type);
    DuckDbCsv(db_, "DROP TABLE IF EXISTS kinesis_table; CREATE TABLE kinesis_table(sensorId INTEGER, "
             "kinesis_shard_id VARCHAR, shard_sequence_number " + std::string(type) + ")");
    auto r = Run(stream, 100, {"--on-error", "skip"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("shard_sequence_number"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("129 digits"), std::string::npos) << r.err;
    EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                       "'kinesis_import_positions'"),
              "0\n");
  }
}

// Case 7: a run never creates a database file.
TEST_F(ImportPositionsTest, RunDoesNotCreateAMissingDuckDbFile) {
  const std::string stream = UniqueName("typo");
  CreateStream(stream, 1);
  db_ = dir_.File("typo.duckdb");
  auto r = Run(stream, 10);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("typo.duckdb' does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(db_));
}

// Case 14: a deleted and recreated stream stops with the way out; `positions show` and
// `positions reset` do what they say; an emptied table with positions warns.
TEST_F(ImportPositionsTest, RecreatedStreamStopsAndPositionsResetStartsOver) {
  const std::string stream = UniqueName("recreate");
  CreateStream(stream, 1);
  Put(stream, SensorRecords(1, 3));
  DuckDbCsv(db_, kDuckDbSeedTable);
  EXPECT_EQ(Imported(Run(stream, 100)), 3);

  auto shown = Positions({"show", "--stream", stream, "--output", "json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  simdjson::dom::parser p;
  simdjson::dom::element doc = p.parse(shown.out).value();
  simdjson::dom::element shard = doc["shards"].at(0).value();
  EXPECT_EQ(std::string(shard["shard_id"].get_string().value()), "shardId-000000000000");
  EXPECT_EQ(std::string(shard["sequence_number"].get_string().value()) + "\n",
            Lines(SequenceNumbers(stream)).back() + "\n");
  EXPECT_NE(std::string(shard["stream_arn"].get_string().value()).find(stream), std::string::npos);

  // Emptied table under old positions: imports nothing, but says why.
  DuckDbCsv(db_, "DELETE FROM kinesis_table");
  auto empty = Run(stream, 100);
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(Imported(empty), 0);
  EXPECT_NE(empty.err.find("is empty but holds positions"), std::string::npos) << empty.err;

  auto deleted = RunNode("sdk_client.js", {"delete", "--endpoint", endpoint_, "--stream", stream});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  CreateStream(stream, 1);
  Put(stream, SensorRecords(21, 22));
  auto refused = Run(stream, 100);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("deleted and recreated"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("positions reset --stream " + stream), std::string::npos) << refused.err;

  auto reset = Positions({"reset", "--stream", stream});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_NE(reset.out.find("deleted 1 stored position"), std::string::npos) << reset.out;
  auto again = Run(stream, 100);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Imported(again), 2);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT sum(sensorId) FROM kinesis_table"), "43\n");
  auto none = Positions({"show", "--stream", "no-such-stream"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("no stored positions"), std::string::npos) << none.out;
}

}  // namespace
}  // namespace ki::test
