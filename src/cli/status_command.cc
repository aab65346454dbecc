// `kinesis-import status`: per shard, the state of the import of a stream into a table, its lag
// now and its retention risk (pipeline/shard_status.h computes them; this file reads the options
// and prints). Exit 3 when --max-lag or --min-retention-left is crossed, for cron and monitoring.
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/json_writer.h"
#include "common/time_format.h"
#include "pipeline/record_source.h"
#include "pipeline/shard_status.h"
#include "sink/postgres/postgres_leases.h"
#include "sink/sink_factory.h"

namespace ki::cli {
namespace {

// Exit code when a threshold is crossed (README, Commands; docs/status.md).
constexpr int kExitThreshold = 3;

struct StatusCommandOptions {
  AwsOptions aws;
  std::string config;
  std::string stream;
  std::string table;
  std::string db = "kinesis.duckdb";
  std::string output = "text";
  std::string start_position = "trim_horizon";
  std::string max_lag;
  std::string min_retention_left;
};

// The job file of `run`/`follow` (same keys, any case): status takes what names the stream,
// table, database and AWS settings, and ignores the import settings it has no use for.
Status ApplyJobFile(CLI::App& cmd, StatusCommandOptions& o) {
  toml::table t;
  try {
    t = toml::parse_file(o.config);
  } catch (const toml::parse_error& e) {
    return InvalidArgument("job file '" + o.config + "': " + std::string(e.description()) + " at line " +
                           std::to_string(e.source().begin.line));
  }
  std::map<std::string, const toml::node*> keys;
  for (const auto& [key, value] : t) {
    std::string lower(key.str());
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    keys[lower] = &value;
  }
  const std::pair<const char*, const char*> strings[] = {
      {"stream_name", "--stream"},       {"table_name", "--table"},
      {"db", "--db"},                    {"region", "--region"},
      {"endpoint_url", "--endpoint-url"}, {"connection_name", "--connection"},
      {"connections_file", "--connections-file"}, {"profile", "--profile"},
      {"retry_deadline", "--retry-deadline"},     {"start_position", "--start-position"},
      {"wire", "--wire"}};
  std::map<std::string, std::string*> targets = {
      {"stream_name", &o.stream},         {"table_name", &o.table},
      {"db", &o.db},                      {"region", &o.aws.region},
      {"endpoint_url", &o.aws.endpoint_url}, {"connection_name", &o.aws.connection},
      {"connections_file", &o.aws.connections_file}, {"profile", &o.aws.profile},
      {"retry_deadline", &o.aws.retry_deadline},     {"start_position", &o.start_position},
      {"wire", &o.aws.wire}};
  for (const auto& [key, flag] : strings) {
    auto it = keys.find(key);
    if (it == keys.end() || cmd.count(flag) > 0) continue;
    auto v = it->second->value<std::string>();
    if (!v) return InvalidArgument("job file '" + o.config + "': '" + key + "' must be a string");
    *targets.at(key) = *v;
  }
  return Status::Ok();
}

std::string Time(const std::optional<int64_t>& epoch_ms) {
  return epoch_ms ? FormatIso8601Millis(*epoch_ms) : std::string();
}
std::string JsonTime(const std::optional<int64_t>& epoch_ms) {
  return epoch_ms ? JsonString(FormatIso8601Millis(*epoch_ms)) : "null";
}
std::string JsonInt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "null"; }
std::optional<int64_t> Seconds(const std::optional<int64_t>& ms) {
  if (!ms) return std::nullopt;
  return *ms / 1000;
}

std::string Parents(const ShardStatus& s) {
  std::string out;
  for (const std::string& p : s.parents) out += (out.empty() ? "" : ",") + p;
  return out.empty() ? "-" : out;
}

std::string Position(const ShardStatus& s) {
  if (!s.sequence_number.empty()) {
    std::string p = s.sequence_number;
    if (s.subsequence_number >= 0) p += "/" + std::to_string(s.subsequence_number);
    return s.derived ? p + " (derived)" : p;
  }
  if (s.resume_timestamp_ms >= 0) return "from " + FormatIso8601Millis(s.resume_timestamp_ms);
  return "-";
}

// "1 h 2 min", "3 min 4 s", "5 s", "120 ms"; "-" when unknown.
std::string Span(const std::optional<int64_t>& ms) {
  if (!ms) return "-";
  if (*ms < 1000) return std::to_string(*ms) + " ms";
  const int64_t s = *ms / 1000;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

void PrintText(const StreamStatus& st) {
  std::printf("stream '%s' -> table '%s'", st.stream.c_str(), st.table.c_str());
  if (st.retention_period_hours > 0)
    std::printf(", retention %lld h", static_cast<long long>(st.retention_period_hours));
  std::printf("\n");
  size_t w_id = 8, w_parents = 7, w_position = 8;
  for (const ShardStatus& s : st.shards) {
    w_id = std::max(w_id, s.shard_id.size());
    w_parents = std::max(w_parents, Parents(s).size());
    w_position = std::max(w_position, Position(s).size());
  }
  std::printf("%-*s  %-18s  %-*s  %-*s  %-24s  %-13s  %-14s  %s\n", int(w_id), "SHARD", "STATE",
              int(w_parents), "PARENTS", int(w_position), "POSITION", "LAST IMPORTED ARRIVAL",
              "BEHIND LATEST", "RECORDS BEHIND", "RETENTION LEFT");
  for (const ShardStatus& s : st.shards) {
    std::string left = Span(s.retention_left_ms);
    if (s.trimmed) left = "0 (trimmed before imported)";
    else if (s.state == ShardState::kExpired) left = "0 (shard expired)";
    std::printf("%-*s  %-18s  %-*s  %-*s  %-24s  %-13s  %-14s  %s\n", int(w_id), s.shard_id.c_str(),
                ShardStateName(s.state), int(w_parents), Parents(s).c_str(), int(w_position),
                Position(s).c_str(), s.last_arrival_ms ? Time(s.last_arrival_ms).c_str() : "-",
                s.behind_latest_ms ? (std::to_string(*s.behind_latest_ms) + " ms").c_str() : "-",
                s.records_behind ? std::to_string(*s.records_behind).c_str() : "-", left.c_str());
    if (s.epoch) {
      std::printf("  %s: lease held by %s, epoch %lld\n", s.shard_id.c_str(),
                  s.owner ? ("worker '" + *s.owner + "'").c_str() : "nobody (expired or released)",
                  static_cast<long long>(*s.epoch));
    }
    if (!s.error.empty()) std::printf("  %s: %s\n", s.shard_id.c_str(), s.error.c_str());
  }
  std::printf("total lag %s", st.behind_latest_ms ? (std::to_string(*st.behind_latest_ms) + " ms").c_str() : "unknown");
  if (!st.worst_shard.empty()) std::printf(" (worst shard %s)", st.worst_shard.c_str());
  if (st.records_behind) std::printf(", %lld record(s) behind", static_cast<long long>(*st.records_behind));
  if (st.retention_left_ms) std::printf(", least retention left %s", Span(st.retention_left_ms).c_str());
  std::printf(", %lld gap(s) recorded\n", static_cast<long long>(st.gaps));
}

void PrintJson(const StreamStatus& st, const std::vector<std::string>& crossed) {
  std::string out = "{\"stream\":" + JsonString(st.stream) + ",\"table\":" + JsonString(st.table) +
                    ",\"retention_period_hours\":" +
                    (st.retention_period_hours > 0 ? std::to_string(st.retention_period_hours) : "null") +
                    ",\"shards\":[";
  for (size_t i = 0; i < st.shards.size(); ++i) {
    const ShardStatus& s = st.shards[i];
    out += i ? "," : "";
    out += "{\"shard_id\":" + JsonString(s.shard_id) + ",\"state\":" + JsonString(ShardStateName(s.state)) +
           ",\"parents\":[";
    for (size_t k = 0; k < s.parents.size(); ++k) out += (k ? "," : "") + JsonString(s.parents[k]);
    out += "],\"sequence_number\":" + (s.sequence_number.empty() ? "null" : JsonString(s.sequence_number));
    out += ",\"subsequence_number\":" + (s.subsequence_number < 0 ? "null" : std::to_string(s.subsequence_number));
    out += ",\"resume_at\":" + (s.resume_timestamp_ms < 0 ? "null" : JsonString(FormatIso8601Millis(s.resume_timestamp_ms)));
    out += ",\"derived\":" + std::string(s.derived ? "true" : "false");
    out += ",\"last_arrival_time\":" + JsonTime(s.last_arrival_ms);
    out += ",\"behind_latest_ms\":" + JsonInt(s.behind_latest_ms);
    out += ",\"records_behind\":" + JsonInt(s.records_behind);
    out += ",\"oldest_unimported_arrival_time\":" + JsonTime(s.oldest_unimported_arrival_ms);
    out += ",\"retention_left_s\":" + JsonInt(Seconds(s.retention_left_ms));
    out += ",\"trimmed\":" + std::string(s.trimmed ? "true" : "false");
    out += ",\"owner\":" + (s.owner ? JsonString(*s.owner) : "null");
    out += ",\"epoch\":" + JsonInt(s.epoch);
    out += ",\"error\":" + (s.error.empty() ? "null" : JsonString(s.error)) + "}";
  }
  out += "],\"summary\":{\"behind_latest_ms\":" + JsonInt(st.behind_latest_ms) +
         ",\"worst_shard\":" + (st.worst_shard.empty() ? "null" : JsonString(st.worst_shard)) +
         ",\"records_behind\":" + JsonInt(st.records_behind) +
         ",\"retention_left_s\":" + JsonInt(Seconds(st.retention_left_ms)) +
         ",\"gaps\":" + std::to_string(st.gaps) + ",\"shard_errors\":" + std::to_string(st.shard_errors) +
         "},\"thresholds_crossed\":[";
  for (size_t i = 0; i < crossed.size(); ++i) out += (i ? "," : "") + JsonString(crossed[i]);
  out += "]}\n";
  std::fputs(out.c_str(), stdout);
}

int Run(CLI::App& cmd, StatusCommandOptions& o) {
  if (!o.config.empty()) {
    if (Status st = ApplyJobFile(cmd, o); !st.ok()) return ReportError(st);
  }
  if (o.stream.empty()) return ReportError(InvalidArgument("status: --stream (or stream_name in --config) is required"));
  if (o.table.empty()) return ReportError(InvalidArgument("status: --table (or table_name in --config) is required"));
  if (Status st = ValidateStreamName(o.stream); !st.ok()) return ReportError(st);
  StatusThresholds thresholds;
  if (!o.max_lag.empty()) {
    auto d = ParseDuration(o.max_lag, "--max-lag");
    if (!d.ok()) return ReportError(d.status());
    thresholds.max_lag = *d;
    thresholds.max_lag_text = o.max_lag;
  }
  if (!o.min_retention_left.empty()) {
    auto d = ParseDuration(o.min_retention_left, "--min-retention-left");
    if (!d.ok()) return ReportError(d.status());
    thresholds.min_retention_left = *d;
    thresholds.min_retention_left_text = o.min_retention_left;
  }
  StatusOptions options;
  options.stream = o.stream;
  options.table = o.table;
  auto start = ParseStartPosition(o.start_position);
  if (!start.ok()) return ReportError(start.status());
  options.start_position = *start;

  auto session = OpenKinesis(o.aws);
  if (!session.ok()) return ReportSetupError(session.status());
  Result<StoredStatus> stored = [&]() -> Result<StoredStatus> {
    KI_ASSIGN_OR_RETURN(std::unique_ptr<Sink> sink, OpenSink(o.db, DbAccess::kExisting));
    return ReadStoredStatus(*sink, o.table, o.stream);
  }();  // the sink is closed before Kinesis is asked (a DuckDB file is free again for follow)
  if (!stored.ok()) return ReportError(stored.status());
  KinesisRecordSource source(*session->client);
  auto status = ComputeStreamStatus(source, *stored, options, SystemClock());
  if (!status.ok()) return ReportError(status.status());
  if (IsPostgresConnectionString(o.db)) {
    // Several workers (follow --worker-id): who holds each shard's lease, with its epoch.
    auto store = PgLeaseStore::OpenIfPresent(o.db, o.table, o.stream);
    if (!store.ok()) return ReportError(store.status());
    if (*store) {
      auto leases = (*store)->List();
      if (!leases.ok()) return ReportError(leases.status());
      for (ShardStatus& s : status->shards) {
        for (const LeaseRow& l : *leases) {
          if (l.shard_id != s.shard_id) continue;
          if (!l.owner.empty() && l.live) s.owner = l.owner;
          s.epoch = l.epoch;
        }
      }
    }
  }
  const std::vector<std::string> crossed = CrossedThresholds(*status, thresholds);
  if (o.output == "json") PrintJson(*status, crossed);
  else PrintText(*status);
  std::fflush(stdout);
  if (status->shard_errors > 0) {
    for (const ShardStatus& s : status->shards) {
      if (!s.error.empty()) ReportError(Status::Error(ErrorKind::kIo, "shard '" + s.shard_id + "': " + s.error));
    }
    return kExitError;
  }
  for (const std::string& reason : crossed) std::fprintf(stderr, "kinesis-import: threshold: %s\n", reason.c_str());
  return crossed.empty() ? kExitOk : kExitThreshold;
}

}  // namespace

void RegisterStatusCommand(CLI::App& app, std::function<int()>* run) {
  auto* cmd = app.add_subcommand(
      "status",
      "per shard: state (open, closed, finished, waiting_for_parent, not_started), stored position, arrival "
      "time of the last imported record, lag now (MillisBehindLatest) and retention risk; then total lag, "
      "worst shard and gaps recorded. Reads only: never moves a position. Exit 3 when --max-lag or "
      "--min-retention-left is crossed");
  auto o = std::make_shared<StatusCommandOptions>();
  cmd->add_option("--config", o->config,
                  "the TOML job file of run/follow: stream_name, table_name, db, the AWS settings and "
                  "start_position are taken from it (flags override it); its other keys are ignored");
  cmd->add_option("--stream", o->stream, "stream name");
  cmd->add_option("--table", o->table, "target table (schema.table works)");
  cmd->add_option("--db", o->db, "DuckDB file or PostgreSQL connection string")->capture_default_str();
  cmd->add_option("--output", o->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--start-position", o->start_position,
                  "where run/follow start a shard without a stored position (trim_horizon, latest, "
                  "at_timestamp:ISO8601): the lag of such a shard is measured from there")
      ->capture_default_str();
  cmd->add_option("--max-lag", o->max_lag,
                  "exit 3 when a shard is further behind latest than this: 500ms, 30s, 5m, 2h");
  cmd->add_option("--min-retention-left", o->min_retention_left,
                  "exit 3 when a shard's oldest record not imported yet is trimmed by the stream's retention "
                  "sooner than this (or records were trimmed already): 30s, 5m, 2h");
  AddAwsOptions(*cmd, o->aws);
  AddWireOption(*cmd, o->aws);
  cmd->callback([o, run, cmd] { *run = [o, cmd] { return Run(*cmd, *o); }; });
}

}  // namespace ki::cli
