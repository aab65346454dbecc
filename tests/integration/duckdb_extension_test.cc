// The kinesis DuckDB extension (src/extension) loaded into the real libduckdb through its C API
// and into Node's @duckdb/node-api, reading a real kinesis-local stream with records put by the
// AWS SDK (plain, KPL aggregates from aws-kinesis-agg, gzip from Node's zlib), compared with what
// `kinesis-import run` writes into a DuckDB file; the exactly-once SQL idiom of the README; a
// racing second loader; shards after a split; errors.
#include <gtest/gtest.h>

#include <duckdb.h>

#include <regex>
#include <string>
#include <vector>

#include "duckdb_file.h"
#include "sink/duckdb/duckdb_handles.h"
#include "test_support.h"

#ifndef KI_DUCKDB_EXTENSION
#define KI_DUCKDB_EXTENSION ""  // not built in this configuration (sanitizers, fuzzing)
#endif

namespace ki::test {
namespace {

constexpr char kColumns[] = "{a: 'BIGINT', name: 'VARCHAR', amount: 'DECIMAL(9,2)'}";
constexpr char kEventsTable[] =
    "CREATE TABLE events(a BIGINT, name VARCHAR, amount DECIMAL(9,2), kinesis_shard_id VARCHAR, "
    "shard_sequence_number VARCHAR, kinesis_subsequence_number BIGINT, kinesis_partition_key VARCHAR, "
    "kinesis_arrival_time TIMESTAMP)";

std::string Events(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i)
    out += "{\"a\": " + std::to_string(i) + ", \"name\": \"n" + std::to_string(i) + "\", \"amount\": " +
           std::to_string(i) + ".25}\n";
  return out;
}

// An in-memory database that allows unsigned extensions, with the extension loaded.
class ExtensionDb {
 public:
  ExtensionDb() {
    duckdb_config config;
    duckdb_create_config(&config);
    duckdb_set_config(config, "allow_unsigned_extensions", "true");
    DuckDbChars error;
    bool opened = duckdb_open_ext(":memory:", db_.out(), config, error.out()) == DuckDBSuccess;
    duckdb_destroy_config(&config);
    if (!opened) {
      ADD_FAILURE() << "open: " << (error ? error.get() : "?");
      return;
    }
    auto loaded = Exec(std::string("LOAD '") + KI_DUCKDB_EXTENSION + "'");
    EXPECT_EQ(loaded, "") << "the extension " << KI_DUCKDB_EXTENSION << " did not load";
  }
  // A further connection to the same database (for a second loader).
  DuckDbConnection Connect() {
    DuckDbConnection con;
    EXPECT_EQ(duckdb_connect(db_.get(), con.out()), DuckDBSuccess);
    return con;
  }
  // "" on success, else DuckDB's error.
  std::string Exec(const std::string& sql, duckdb_connection con = nullptr) {
    DuckDbResult result;
    if (duckdb_query(con ? con : Default(), sql.c_str(), result.out()) == DuckDBSuccess) return "";
    std::string error = result.error();
    return error.empty() ? "error" : error;
  }
  // Rows as text ("NULL" for NULL); fails the test on an error.
  Rows Query(const std::string& select, duckdb_connection con = nullptr) {
    const std::string sql = "SELECT COLUMNS(*)::VARCHAR FROM (" + select + ") AS q";
    DuckDbResult result;
    if (duckdb_query(con ? con : Default(), sql.c_str(), result.out()) != DuckDBSuccess) {
      ADD_FAILURE() << select << ": " << result.error();
      return {};
    }
    Rows rows;
    for (idx_t r = 0; r < duckdb_row_count(result.get()); ++r) {
      std::vector<std::string> row;
      for (idx_t c = 0; c < duckdb_column_count(result.get()); ++c) {
        DuckDbChars value(duckdb_value_varchar(result.get(), c, r));
        row.push_back(value ? value.get() : "NULL");
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }
  std::string One(const std::string& select, duckdb_connection con = nullptr) {
    Rows rows = Query(select, con);
    return rows.size() == 1 && rows[0].size() == 1 ? rows[0][0] : "<not one value>";
  }

 private:
  duckdb_connection Default() {
    if (!con_) {
      EXPECT_EQ(duckdb_connect(db_.get(), con_.out()), DuckDBSuccess);
    }
    return con_.get();
  }
  DuckDbDatabase db_;
  DuckDbConnection con_;
};

class DuckDbExtensionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    stream_ = UniqueName("duckext");
    CreateStream(2);
  }
  void CreateStream(int shards) {
    auto r = RunCli({"stream", "create", "--stream", stream_, "--shards", std::to_string(shards),
                     "--endpoint-url", endpoint_, "--region", "us-east-1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void NodePut(const std::string& command, const std::string& lines, std::vector<std::string> extra = {}) {
    WriteFile(dir_.File("in.txt"), lines);
    std::vector<std::string> args{command, "--file", dir_.File("in.txt"), "--endpoint", endpoint_,
                                  "--stream", stream_};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunNode("sdk_client.js", args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Plain, KPL (aggregates of 4, with partition keys pk<i%3>) and gzip records.
  void PutMixed(int from) {
    NodePut("put", Events(from, from + 4));
    NodePut("put-kpl", Events(from + 5, from + 14), {"--per", "4"});
    NodePut("put-gzip", Events(from + 15, from + 19));
  }
  // read_kinesis(stream, endpoint_url := ..., region := ..., <more>)
  std::string Read(const std::string& more = "") const {
    return "read_kinesis('" + stream_ + "', endpoint_url := '" + endpoint_ + "', region := 'us-east-1'" +
           (more.empty() ? "" : ", " + more) + ")";
  }
  // The one-line idiom of the README (From DuckDB SQL): the per-shard maximum sequence number of
  // the table, compared by length then text, as the positions to read after.
  static std::string SetPositions(const std::string& table) {
    return "SET VARIABLE kinesis_positions = (SELECT map_from_entries(list((kinesis_shard_id, seq)))"
           "::MAP(VARCHAR, VARCHAR) FROM (SELECT kinesis_shard_id, max_by(shard_sequence_number, "
           "lpad(shard_sequence_number, 129, '0')) AS seq FROM " + table + " GROUP BY ALL))";
  }
  std::string Insert(const std::string& table, const std::string& more = "") const {
    return "INSERT INTO " + table + " SELECT * REPLACE (coalesce(kinesis_subsequence_number, -1) AS "
           "kinesis_subsequence_number) FROM " +
           Read(std::string("columns := ") + kColumns + ", positions := getvariable('kinesis_positions')" +
                (more.empty() ? "" : ", " + more));
  }

  TempDir dir_;
  std::string endpoint_, stream_;
};

constexpr char kCompared[] =
    "a, name, amount, kinesis_shard_id, shard_sequence_number, kinesis_subsequence_number, "
    "kinesis_partition_key, kinesis_arrival_time";

TEST_F(DuckDbExtensionTest, ReadsKplAndGzipRecordsAsTheCliImportsThem) {
  PutMixed(1);
  const std::string db = dir_.File("cli.duckdb");
  DuckDbCsv(db, kEventsTable);
  auto run = RunCli({"run", "--stream", stream_, "--table", "events", "--db", db, "--endpoint-url",
                     endpoint_, "--region", "us-east-1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(QueryDuckDbOne(db, "SELECT count(*) FROM events"), "20");

  ExtensionDb duck;
  ASSERT_EQ(duck.Exec("ATTACH '" + db + "' AS cli (READ_ONLY)"), "");
  const std::string ours = std::string("SELECT ") + kCompared + " FROM " + Read(std::string("columns := ") + kColumns);
  const std::string theirs = std::string("SELECT ") + kCompared + " FROM cli.events";
  EXPECT_EQ(duck.One("SELECT count(*) FROM (" + ours + ")"), "20");
  EXPECT_EQ(duck.One("SELECT count(*) FROM ((" + ours + ") EXCEPT ALL (" + theirs + "))"), "0");
  EXPECT_EQ(duck.One("SELECT count(*) FROM ((" + theirs + ") EXCEPT ALL (" + ours + "))"), "0");
  // KPL user records keep their subsequence numbers and partition keys.
  EXPECT_EQ(duck.One("SELECT count(*) FROM " + Read(std::string("columns := ") + kColumns) +
                     " WHERE kinesis_subsequence_number IS NOT NULL AND kinesis_partition_key LIKE 'pk%'"),
            "10");
  // Without columns: the payload as bytes, and as JSON text with format := 'json'.
  EXPECT_EQ(duck.One("SELECT count(*) FROM " + Read() + " WHERE json_extract(decode(data), '$.a')::INT BETWEEN 1 AND 20"), "20");
  EXPECT_EQ(duck.One("SELECT typeof(data) FROM " + Read("format := 'json'") + " LIMIT 1"), "VARCHAR");
  EXPECT_EQ(duck.One("SELECT sum((data->>'a')::INT) FROM " + Read("format := 'json'")), "210");
  // Projection: only the columns used (and a count without any).
  EXPECT_EQ(duck.One("SELECT sum(amount) FROM " + Read(std::string("columns := ") + kColumns)), "215.00");
  EXPECT_EQ(duck.One("SELECT count(*) FROM " + Read(std::string("columns := ") + kColumns)), "20");
  // max_records is per shard, and never splits an aggregate.
  EXPECT_LE(std::stoi(duck.One("SELECT max(c) FROM (SELECT count(*) AS c FROM " + Read("max_records := 2") +
                               " GROUP BY kinesis_shard_id)")),
            5);
}

TEST_F(DuckDbExtensionTest, NodeClientLoadsTheExtensionAndReadsTheSameRows) {
  PutMixed(1);
  const std::string db = dir_.File("cli.duckdb");
  DuckDbCsv(db, kEventsTable);
  auto run = RunCli({"run", "--stream", stream_, "--table", "events", "--db", db, "--endpoint-url",
                     endpoint_, "--region", "us-east-1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string ours = std::string("SELECT ") + kCompared + " FROM " + Read(std::string("columns := ") + kColumns);
  const std::string theirs = std::string("SELECT ") + kCompared + " FROM cli.events";
  auto r = RunNode("duckdb_extension.js",
                   {KI_DUCKDB_EXTENSION, "ATTACH '" + db + "' AS cli (READ_ONLY)",
                    "SELECT count(*)::INT AS n FROM (" + ours + ")",
                    "SELECT count(*)::INT AS n FROM ((" + ours + ") EXCEPT ALL (" + theirs + "))",
                    "SELECT count(*)::INT AS n FROM ((" + theirs + ") EXCEPT ALL (" + ours + "))",
                    "SELECT count(*)::INT AS n FROM kinesis_shards('" + stream_ + "', endpoint_url := '" +
                        endpoint_ + "', region := 'us-east-1')"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), (std::vector<std::string>{"[]", "[{\"n\":20}]", "[{\"n\":0}]", "[{\"n\":0}]",
                                                     "[{\"n\":2}]"}))
      << r.out;
}

TEST_F(DuckDbExtensionTest, ExactlyOnceIdiomFiveRunsWithRecordsPutInBetween) {
  ExtensionDb duck;
  ASSERT_EQ(duck.Exec(std::string(kEventsTable).replace(std::string(kEventsTable).size() - 1, 1,
                                                        ", PRIMARY KEY (kinesis_shard_id, shard_sequence_number, "
                                                        "kinesis_subsequence_number))")),
            "");
  std::vector<std::string> counts;
  for (int run = 0; run < 5; ++run) {
    PutMixed(1 + run * 20);
    // Small batches: each run reads only part of what is there, the next one resumes.
    ASSERT_EQ(duck.Exec("BEGIN"), "");
    ASSERT_EQ(duck.Exec(SetPositions("events")), "");
    ASSERT_EQ(duck.Exec(Insert("events", "max_records := 15")), "");
    ASSERT_EQ(duck.Exec("COMMIT"), "");
    counts.push_back(duck.One("SELECT count(*) FROM events"));
  }
  // Catch up with whatever the capped runs left.
  for (int run = 0; run < 10 && duck.One("SELECT count(*) FROM events") != "100"; ++run) {
    ASSERT_EQ(duck.Exec(SetPositions("events")), "");
    ASSERT_EQ(duck.Exec(Insert("events", "max_records := 15")), "");
  }
  EXPECT_EQ(duck.One("SELECT count(*) || ',' || count(DISTINCT a) || ',' || sum(a) FROM events"), "100,100,5050")
      << "counts after each run: " << ::testing::PrintToString(counts);
  // A run with nothing new adds nothing.
  ASSERT_EQ(duck.Exec(SetPositions("events")), "");
  ASSERT_EQ(duck.Exec(Insert("events")), "");
  EXPECT_EQ(duck.One("SELECT count(*) FROM events"), "100");
}

TEST_F(DuckDbExtensionTest, RacingSecondLoaderFailsOnThePrimaryKey) {
  PutMixed(1);
  ExtensionDb duck;
  ASSERT_EQ(duck.Exec(std::string(kEventsTable).replace(std::string(kEventsTable).size() - 1, 1,
                                                        ", PRIMARY KEY (kinesis_shard_id, shard_sequence_number, "
                                                        "kinesis_subsequence_number))")),
            "");
  DuckDbConnection first = duck.Connect(), second = duck.Connect();
  // Both take the same (empty) positions inside their transactions and read the same records.
  for (duckdb_connection con : {first.get(), second.get()}) {
    ASSERT_EQ(duck.Exec("BEGIN", con), "");
    ASSERT_EQ(duck.Exec(SetPositions("events"), con), "");
  }
  EXPECT_EQ(duck.Exec(Insert("events"), first.get()), "");
  std::string second_insert = duck.Exec(Insert("events"), second.get());
  EXPECT_EQ(duck.Exec("COMMIT", first.get()), "");
  std::string second_commit = second_insert.empty() ? duck.Exec("COMMIT", second.get()) : "";
  if (!second_insert.empty()) duck.Exec("ROLLBACK", second.get());
  EXPECT_FALSE(second_insert.empty() && second_commit.empty())
      << "the second loader committed the same records";
  EXPECT_EQ(duck.One("SELECT count(*) || ',' || count(DISTINCT a) FROM events"), "20,20");
}

TEST_F(DuckDbExtensionTest, AfterASplitChildrenAreReadOnlyAfterTheirParent) {
  stream_ = UniqueName("duckext_split");
  CreateStream(1);
  NodePut("put", Events(1, 10), {"--key", "k"});
  auto split = RunNode("sdk_client.js", {"split", "--endpoint", endpoint_, "--stream", stream_, "--shard",
                                         "shardId-000000000000"});
  ASSERT_EQ(split.exit_code, 0) << split.err;
  NodePut("put", Events(11, 30));

  ExtensionDb duck;
  const std::string shards = "kinesis_shards('" + stream_ + "', endpoint_url := '" + endpoint_ +
                             "', region := 'us-east-1')";
  Rows rows = duck.Query("SELECT shard_id, parent_shard_id, state FROM " + shards + " ORDER BY shard_id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"shardId-000000000000", "NULL", "closed"}));
  for (int i : {1, 2}) {
    EXPECT_EQ(rows[i][1], "shardId-000000000000");
    EXPECT_EQ(rows[i][2], "open");
  }
  // The scan's order: every record of the parent before any record of a child.
  Rows order = duck.Query("SELECT kinesis_shard_id, a FROM " + Read(std::string("columns := ") + kColumns));
  ASSERT_EQ(order.size(), 30u);
  for (size_t i = 0; i < order.size(); ++i)
    EXPECT_EQ(order[i][0] == "shardId-000000000000", i < 10) << "row " << i << ": " << order[i][0];
  // A parent that stops early (max_records) holds its children back in that query.
  EXPECT_EQ(duck.One("SELECT count(*) || ',' || count(DISTINCT kinesis_shard_id) FROM " +
                     Read(std::string("columns := ") + kColumns + ", max_records := 4")),
            "4,1");
  // With the parent's last position given (a value: table function arguments cannot be
  // subqueries), the children come next.
  ASSERT_EQ(duck.Exec("SET VARIABLE parent_end = (SELECT max(shard_sequence_number) FROM " + Read() +
                      " WHERE kinesis_shard_id = 'shardId-000000000000')"),
            "");
  EXPECT_EQ(duck.One("SELECT count(*) || ',' || count(DISTINCT kinesis_shard_id) FROM " +
                     Read(std::string("columns := ") + kColumns +
                          ", positions := MAP {'shardId-000000000000': getvariable('parent_end')}")),
            "20,2");
}

TEST_F(DuckDbExtensionTest, BadRecordAndKinesisErrorsAreCleanQueryErrors) {
  NodePut("put", Events(1, 2) + "{\"a\": \"not a number\"}\n");
  ExtensionDb duck;
  std::string bad = duck.Exec("SELECT * FROM " + Read(std::string("columns := ") + kColumns));
  EXPECT_NE(bad.find("stream '" + stream_ + "'"), std::string::npos) << bad;
  EXPECT_NE(bad.find("shard 'shardId-"), std::string::npos) << bad;
  EXPECT_TRUE(std::regex_search(bad, std::regex("sequence number [0-9]{20,}: column"))) << bad;
  EXPECT_NE(bad.find("column 'a' (BIGINT)"), std::string::npos) << bad;

  std::string unknown = duck.Exec("SELECT * FROM read_kinesis('no_such_stream_x', endpoint_url := '" +
                                  endpoint_ + "', region := 'us-east-1')");
  EXPECT_NE(unknown.find("ResourceNotFoundException"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("no_such_stream_x"), std::string::npos) << unknown;

  // A port nobody listens on (port 9, discard), with a short retry deadline.
  std::string unreachable = duck.Exec("SELECT * FROM kinesis_shards('" + stream_ +
                                      "', endpoint_url := 'http://127.0.0.1:9', region := 'us-east-1', "
                                      "retry_deadline := INTERVAL 500 MILLISECONDS)");
  EXPECT_NE(unreachable.find("127.0.0.1:9"), std::string::npos) << unreachable;
  EXPECT_NE(unreachable.find("retry deadline"), std::string::npos) << unreachable;

  std::string type = duck.Exec("SELECT * FROM " + Read("columns := {a: 'INTEGER[3]'}"));
  EXPECT_NE(type.find("column 'a' has type 'INTEGER[3]'"), std::string::npos) << type;

  // The database is still usable.
  EXPECT_EQ(duck.One("SELECT count(*) FROM " + Read()), "3");
  EXPECT_EQ(duck.One("SELECT 40 + 2"), "42");
}

TEST_F(DuckDbExtensionTest, StartPositionsForShardsWithoutPositions) {
  NodePut("put", Events(1, 6));
  ExtensionDb duck;
  EXPECT_EQ(duck.One("SELECT count(*) FROM " + Read("start_position := 'trim_horizon'")), "6");
  EXPECT_EQ(duck.One("SELECT count(*) FROM " + Read("start_position := 'latest'")), "0");
  EXPECT_EQ(duck.One("SELECT count(*) FROM " + Read("start_position := 'at_timestamp:2000-01-01T00:00:00Z'")), "6");
  std::string bad = duck.Exec("SELECT * FROM " + Read("start_position := 'yesterday'"));
  EXPECT_NE(bad.find("start_position 'yesterday'"), std::string::npos) << bad;
}

// The file DuckDB loads: no libduckdb of its own (every call goes through DuckDB's function
// table), only the entry point exported, and the metadata footer DuckDB checks.
TEST(DuckDbExtensionFile, LinksNoDuckDbExportsOnlyTheEntryPointAndEndsInTheFooter) {
  auto needed = RunProcess({"readelf", "-d", KI_DUCKDB_EXTENSION});
  ASSERT_EQ(needed.exit_code, 0) << needed.err;
  EXPECT_EQ(needed.out.find("libduckdb"), std::string::npos) << needed.out;
  auto symbols = RunProcess({"nm", "-D", "--defined-only", KI_DUCKDB_EXTENSION});
  ASSERT_EQ(symbols.exit_code, 0) << symbols.err;
  std::vector<std::string> exported;
  for (const std::string& line : Lines(symbols.out)) exported.push_back(line.substr(line.rfind(' ') + 1));
  EXPECT_EQ(exported, std::vector<std::string>{"kinesis_init_c_api"});
  auto tail = RunProcess({"sh", "-c", std::string("tail -c 512 '") + KI_DUCKDB_EXTENSION + "' | head -c 256 | tr -d '\\0'"});
  // The fields from last to first: ABI type, extension version, C API version, platform, magic.
  EXPECT_TRUE(std::regex_match(tail.out, std::regex("C_STRUCTv[0-9.]+v1\\.2\\.0linux_amd644"))) << tail.out;
}

}  // namespace
}  // namespace ki::test
