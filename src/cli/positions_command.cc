// `kinesis-import positions show|reset`: look at and delete the stored positions of a stream for
// a table (kinesis_import_positions), e.g. after a stream was deleted and recreated.
#include <cstdio>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/json_writer.h"
#include "common/time_format.h"
#include "sink/sink_factory.h"

namespace ki::cli {
namespace {

struct PositionsOptions {
  std::string stream;
  std::string table;
  std::string db = "kinesis.duckdb";
  std::string shard;
  std::string output = "text";
};

void AddCommonOptions(CLI::App& cmd, PositionsOptions& o) {
  cmd.add_option("--stream", o.stream, "Kinesis stream name")->required();
  cmd.add_option("--table", o.table, "target table (schema.table works)")->required();
  cmd.add_option("--db", o.db, "DuckDB file or PostgreSQL connection string")->capture_default_str();
}

std::string Time(int64_t epoch_ms) { return epoch_ms < 0 ? "" : FormatIso8601Millis(epoch_ms); }

// Opens the sink and the table's transaction; the caller commits or rolls back.
Result<std::unique_ptr<Sink>> OpenForPositions(const PositionsOptions& o) {
  KI_ASSIGN_OR_RETURN(std::unique_ptr<Sink> sink, OpenSink(o.db, DbAccess::kExisting));
  KI_ASSIGN_OR_RETURN(TableSchema schema, sink->DescribeTable(o.table));
  KI_RETURN_IF_ERROR(sink->Begin(schema));
  return sink;
}

int Show(const PositionsOptions& o) {
  auto sink = OpenForPositions(o);
  if (!sink.ok()) return ReportError(sink.status());
  auto rows = (*sink)->ListPositions(o.stream);
  (*sink)->Rollback();  // read only
  if (!rows.ok()) return ReportError(rows.status());
  if (o.output == "json") {
    std::string out = "{\"stream\":" + JsonString(o.stream) + ",\"table\":" + JsonString(o.table) +
                      ",\"shards\":[";
    bool first = true;
    for (const StoredPosition& r : *rows) {
      const ShardPosition& p = r.position;
      out += first ? "" : ",";
      first = false;
      out += "{\"shard_id\":" + JsonString(r.shard_id) +
             ",\"sequence_number\":" + (p.sequence_number.empty() ? "null" : JsonString(p.sequence_number)) +
             ",\"subsequence_number\":" + (p.subsequence_number < 0 ? "null" : std::to_string(p.subsequence_number)) +
             ",\"resume_at\":" + (p.resume_timestamp_ms < 0 ? "null" : JsonString(Time(p.resume_timestamp_ms))) +
             ",\"updated_at\":" + JsonString(Time(r.updated_at_us / 1000)) +
             ",\"stream_arn\":" + (p.stream_arn.empty() ? "null" : JsonString(p.stream_arn)) +
             ",\"stream_created_at\":" + (p.stream_created_ms < 0 ? "null" : JsonString(Time(p.stream_created_ms))) +
             ",\"finished\":" + (p.finished ? "true" : "false") + "}";
    }
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  if (rows->empty()) {
    std::printf("no stored positions for stream '%s' and table '%s'\n", o.stream.c_str(), o.table.c_str());
    return kExitOk;
  }
  std::printf("%-24s %-58s %-11s %-8s %-24s %s\n", "shard", "sequence number", "subsequence",
              "finished", "updated at", "stream");
  for (const StoredPosition& r : *rows) {
    const ShardPosition& p = r.position;
    const std::string sequence =
        p.sequence_number.empty() ? "(none yet: from " + Time(p.resume_timestamp_ms) + ")" : p.sequence_number;
    const std::string sub = p.subsequence_number < 0 ? "-" : std::to_string(p.subsequence_number);
    const std::string identity = p.stream_arn.empty()
                                     ? std::string("(not recorded)")
                                     : p.stream_arn + " created " + Time(p.stream_created_ms);
    std::printf("%-24s %-58s %-11s %-8s %-24s %s\n", r.shard_id.c_str(), sequence.c_str(),
                sub.c_str(), p.finished ? "yes" : "no", Time(r.updated_at_us / 1000).c_str(),
                identity.c_str());
  }
  return kExitOk;
}

int Reset(const PositionsOptions& o) {
  auto sink = OpenForPositions(o);
  if (!sink.ok()) return ReportError(sink.status());
  auto deleted = (*sink)->DeletePositions(o.stream, o.shard);
  if (!deleted.ok()) {
    (*sink)->Rollback();
    return ReportError(deleted.status());
  }
  if (Status committed = (*sink)->Commit(); !committed.ok()) return ReportError(committed);
  const std::string which = o.shard.empty() ? std::string("all shards") : "shard '" + o.shard + "'";
  std::printf("deleted %lld stored position(s) of stream '%s' for table '%s' (%s); the next run "
              "starts %s from --start-position\n",
              static_cast<long long>(*deleted), o.stream.c_str(), o.table.c_str(), which.c_str(),
              o.shard.empty() ? "every shard" : "that shard");
  return kExitOk;
}

}  // namespace

void RegisterPositionsCommand(CLI::App& app, std::function<int()>* run) {
  auto* cmd = app.add_subcommand(
      "positions", "show or delete the stored positions of a stream for a table");
  cmd->require_subcommand(1);
  auto o = std::make_shared<PositionsOptions>();

  auto* show = cmd->add_subcommand(
      "show", "print each shard's stored position (sequence and subsequence number, updated at, "
              "the stream it belongs to)");
  AddCommonOptions(*show, *o);
  show->add_option("--output", o->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  show->callback([o, run] { *run = [o] { return Show(*o); }; });

  auto* reset = cmd->add_subcommand(
      "reset", "delete the stored positions (all shards, or --shard) in one transaction; the next "
               "run starts them from --start-position");
  AddCommonOptions(*reset, *o);
  reset->add_option("--shard", o->shard, "only this shard id");
  reset->callback([o, run] { *run = [o] { return Reset(*o); }; });
}

}  // namespace ki::cli
