// `kinesis-import suggest-table`: propose the target table from a sample of the stream.
#include <cstdio>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "infer/infer_table.h"

namespace ki::cli {
namespace {

// A stream name may hold '.' and '-', which a table name would read as a schema or not at all.
std::string DefaultTableName(const std::string& stream) {
  std::string table = stream;
  for (char& c : table) {
    if (c == '.' || c == '-') c = '_';
  }
  return table;
}

}  // namespace

void RegisterSuggestTableCommand(CLI::App& app, std::function<int()>* run) {
  auto* cmd = app.add_subcommand(
      "suggest-table",
      "read a sample of the stream (never moving any position) and print a CREATE TABLE "
      "statement for it: one column per top-level key, types inferred across the sample, then "
      "the metadata columns");
  struct Options {
    AwsOptions aws;
    std::string stream;
    std::string table;
    int64_t sample = 1000;
    std::string dialect;
    std::string db;
    std::string from = "trim_horizon";
    std::string format = "json";
    std::string output = "text";
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--stream", o->stream, "stream name")->required();
  cmd->add_option("--table", o->table, "table name in the statement (may be schema.table; default: the stream "
                  "name with '.' and '-' as '_')");
  cmd->add_option("--sample", o->sample, "read at most this many user records, spread over all shards")
      ->check(AtLeast(1))
      ->capture_default_str();
  cmd->add_option("--dialect", o->dialect, "duckdb or postgres (default: from --db if given, else duckdb)")
      ->check(CLI::IsMember({"duckdb", "postgres"}));
  cmd->add_option("--db", o->db, "the target database as run takes it; only chooses the dialect");
  cmd->add_option("--from", o->from, "trim_horizon, latest or at_timestamp:ISO8601")->capture_default_str();
  cmd->add_option("--format", o->format,
                  "payload format: json (one object per record) or ndjson (one object per line); KPL "
                  "aggregates and gzip are unpacked first")
      ->check(CLI::IsMember({"json", "ndjson"}))
      ->capture_default_str();
  cmd->add_option("--output", o->output, "text (the statement) or json (the inferred columns with counts)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddAwsOptions(*cmd, o->aws);
  AddWireOption(*cmd, o->aws);
  cmd->callback([o, run] {
    *run = [o]() -> int {
      if (Status st = ValidateStreamName(o->stream); !st.ok()) return ReportError(st);
      auto start = ParseStartPosition(o->from);
      if (!start.ok()) return ReportError(start.status());
      InferTableRequest request;
      request.sample.stream = o->stream;
      request.sample.from = *start;
      request.sample.max_records = o->sample;
      request.sample.format = o->format == "ndjson" ? PayloadFormat::kNdjson : PayloadFormat::kJson;
      request.table = o->table.empty() ? DefaultTableName(o->stream) : o->table;
      request.dialect = o->dialect == "postgres" ? SqlDialect::kPostgres
                        : o->dialect == "duckdb" ? SqlDialect::kDuckDb
                                                 : DialectOfDb(o->db);
      auto session = OpenKinesis(o->aws);
      if (!session.ok()) return ReportSetupError(session.status());
      auto suggestion = InferTableFromStream(*session->client, SystemClock(), request);
      if (!suggestion.ok()) return ReportError(suggestion.status());
      const std::string out = o->output == "json" ? SuggestionJson(*suggestion) : CreateTableSql(*suggestion);
      std::fputs(out.c_str(), stdout);
      return kExitOk;
    };
  });
}

}  // namespace ki::cli
