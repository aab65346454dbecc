// `kinesis-import run`: the Exasol connector's IMPORT, run from cron, a loop or by hand.
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/json_writer.h"
#include "infer/infer_table.h"
#include "pipeline/import_run.h"
#include "cli/follow_support.h"
#include "cli/observability.h"
#include "common/log.h"
#include "sink/sink_factory.h"

namespace ki::cli {
namespace {

struct RunOptions {
  AwsOptions aws;
  std::string config;
  std::string stream;
  std::string table;
  std::string db = "kinesis.duckdb";
  int64_t max_records = 10000;
  std::string start_position = "trim_horizon";
  std::string mapping = "by-name";
  std::string output = "text";
  std::string format = "json";
  std::string on_error = "fail";
  std::string rejects_table;
  int64_t max_bad_records = -1;
  std::vector<std::string> maps;
  bool strict_keys = false;
  std::string epoch_unit = "s";
  std::string on_trimmed = "fail";
  int64_t max_buffer_mb = 256;
  // DuckDB's worker threads: the appends run on the one commit thread anyway, and more threads
  // cost CPU for little (docs/performance.md).
  int64_t duckdb_threads = 1;
  // follow
  std::string commit_interval = "1s";
  int64_t commit_records = 100000;
  std::string shard_refresh = "30s";
  std::string worker_id;  // several workers sharing the stream (docs/scale-out.md)
  std::string lease_ttl;  // empty: 10s; given alone, the worker id defaults to host-pid
  bool create_table = false;
  // Observability (docs/operations.md)
  std::string metrics_listen;
  std::string log_format = "text";
  std::string progress = "auto";
};

// Fills options the command line did not set from the TOML job file. Keys mirror the Exasol
// connector's parameter names and are matched in any case (STREAM_NAME, Stream_Name, stream_name),
// as Exasol users write them; an unknown key, or two keys that differ only in case, is an error.
// Precedence: flags > job file > environment.
Status ApplyConfigFile(CLI::App& cmd, RunOptions& o, bool follow) {
  toml::table t;
  try {
    t = toml::parse_file(o.config);
  } catch (const toml::parse_error& e) {
    return InvalidArgument("job file '" + o.config + "': " + std::string(e.description()) + " at line " +
                           std::to_string(e.source().begin.line));
  }
  static const std::vector<std::string> kKnown = {
      "stream_name", "table_name", "db", "region", "endpoint_url", "connection_name", "connections_file",
      "profile", "max_records_per_run", "start_position", "mapping", "format", "on_error",
      "rejects_table", "max_bad_records", "map", "strict_keys", "epoch_unit", "retry_deadline",
      "on_trimmed", "max_buffer_mb", "commit_interval", "commit_records", "shard_refresh", "create_table",
      "metrics_listen", "log_format", "progress", "worker_id", "lease_ttl", "duckdb_threads", "wire"};
  const std::string where = "job file '" + o.config + "'";
  // Lower-cased key -> (the key as written, its value).
  std::map<std::string, std::pair<std::string, const toml::node*>> keys;
  for (const auto& [key, value] : t) {
    std::string written(key.str());
    std::string lower = written;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (std::find(kKnown.begin(), kKnown.end(), lower) == kKnown.end())
      return InvalidArgument(where + ": unknown key '" + written + "'");
    auto [it, inserted] = keys.try_emplace(lower, written, &value);
    if (!inserted)
      return InvalidArgument(where + ": keys '" + it->second.first + "' and '" + written +
                             "' are the same setting (keys are case-insensitive); keep one");
  }
  auto find = [&](const char* key) -> const toml::node* {
    auto it = keys.find(key);
    return it == keys.end() ? nullptr : it->second.second;
  };
  auto name = [&](const char* key) { return "'" + keys.at(key).first + "'"; };
  auto str = [&](const char* key, const char* flag, std::string& target) -> Status {
    const toml::node* n = find(key);
    if (!n || cmd.count(flag) > 0) return Status::Ok();
    auto v = n->value<std::string>();
    if (!v) return InvalidArgument(where + ": " + name(key) + " must be a string");
    target = *v;
    return Status::Ok();
  };
  KI_RETURN_IF_ERROR(str("stream_name", "--stream", o.stream));
  KI_RETURN_IF_ERROR(str("table_name", "--table", o.table));
  KI_RETURN_IF_ERROR(str("db", "--db", o.db));
  KI_RETURN_IF_ERROR(str("region", "--region", o.aws.region));
  KI_RETURN_IF_ERROR(str("endpoint_url", "--endpoint-url", o.aws.endpoint_url));
  KI_RETURN_IF_ERROR(str("connection_name", "--connection", o.aws.connection));
  KI_RETURN_IF_ERROR(str("connections_file", "--connections-file", o.aws.connections_file));
  KI_RETURN_IF_ERROR(str("profile", "--profile", o.aws.profile));
  KI_RETURN_IF_ERROR(str("start_position", "--start-position", o.start_position));
  KI_RETURN_IF_ERROR(str("mapping", "--mapping", o.mapping));
  KI_RETURN_IF_ERROR(str("format", "--format", o.format));
  KI_RETURN_IF_ERROR(str("on_error", "--on-error", o.on_error));
  KI_RETURN_IF_ERROR(str("rejects_table", "--rejects-table", o.rejects_table));
  KI_RETURN_IF_ERROR(str("epoch_unit", "--epoch-unit", o.epoch_unit));
  KI_RETURN_IF_ERROR(str("retry_deadline", "--retry-deadline", o.aws.retry_deadline));
  KI_RETURN_IF_ERROR(str("wire", "--wire", o.aws.wire));
  KI_RETURN_IF_ERROR(str("on_trimmed", "--on-trimmed", o.on_trimmed));
  KI_RETURN_IF_ERROR(str("metrics_listen", "--metrics-listen", o.metrics_listen));
  KI_RETURN_IF_ERROR(str("log_format", "--log-format", o.log_format));
  KI_RETURN_IF_ERROR(str("progress", "--progress", o.progress));
  if (!follow) {
    for (const char* key : {"commit_interval", "commit_records", "shard_refresh", "worker_id", "lease_ttl"}) {
      if (find(key))
        return InvalidArgument(where + ": " + name(key) + " is a setting of `kinesis-import follow`; `run` "
                               "commits once at the end");
    }
  }
  KI_RETURN_IF_ERROR(str("commit_interval", "--commit-interval", o.commit_interval));
  KI_RETURN_IF_ERROR(str("shard_refresh", "--shard-refresh", o.shard_refresh));
  KI_RETURN_IF_ERROR(str("worker_id", "--worker-id", o.worker_id));
  KI_RETURN_IF_ERROR(str("lease_ttl", "--lease-ttl", o.lease_ttl));
  const std::pair<const char*, const char*> durations[] = {{"retry_deadline", "--retry-deadline"},
                                                           {"commit_interval", "--commit-interval"},
                                                           {"shard_refresh", "--shard-refresh"},
                                                           {"lease_ttl", "--lease-ttl"}};
  for (const auto& [key, flag] : durations) {
    if (const toml::node* n = find(key); n && cmd.count(flag) == 0) {
      auto d = ParseDuration(*n->value<std::string>(), where + ": " + name(key));
      if (!d.ok()) return d.status();
    }
  }
  if (const toml::node* n = find("strict_keys"); n && cmd.count("--strict-keys") == 0) {
    auto v = n->value<bool>();
    if (!v) return InvalidArgument(where + ": " + name("strict_keys") + " must be true or false");
    o.strict_keys = *v;
  }
  if (const toml::node* n = find("create_table"); n && cmd.count("--create-table") == 0) {
    auto v = n->value<bool>();
    if (!v) return InvalidArgument(where + ": " + name("create_table") + " must be true or false");
    o.create_table = *v;
  }
  if (const toml::node* n = find("map"); n && cmd.count("--map") == 0) {
    const toml::array* arr = n->as_array();
    if (!arr) return InvalidArgument(where + ": " + name("map") + " must be an array of \"column=path\" strings");
    for (const auto& item : *arr) {
      auto v = item.value<std::string>();
      if (!v) return InvalidArgument(where + ": " + name("map") + " must be an array of \"column=path\" strings");
      o.maps.push_back(*v);
    }
  }
  if (const toml::node* n = find("max_bad_records"); n && cmd.count("--max-bad-records") == 0) {
    auto v = n->value_exact<int64_t>();
    if (!v || *v < 0)
      return InvalidArgument(where + ": " + name("max_bad_records") + " must be a whole number (a TOML integer), at least 0");
    o.max_bad_records = *v;
  }
  auto positive = [&](const char* key, const char* flag, int64_t& target) -> Status {
    const toml::node* n = find(key);
    if (!n || cmd.count(flag) > 0) return Status::Ok();
    auto v = n->value_exact<int64_t>();
    if (!v || *v <= 0)
      return InvalidArgument(where + ": " + name(key) + " must be a whole number (a TOML integer), at least 1");
    target = *v;
    return Status::Ok();
  };
  KI_RETURN_IF_ERROR(positive("commit_records", "--commit-records", o.commit_records));
  KI_RETURN_IF_ERROR(positive("max_buffer_mb", "--max-buffer-mb", o.max_buffer_mb));
  KI_RETURN_IF_ERROR(positive("duckdb_threads", "--duckdb-threads", o.duckdb_threads));
  if (const toml::node* n = find("max_records_per_run"); n && cmd.count("--max-records-per-run") == 0) {
    auto v = n->value_exact<int64_t>();
    if (!v || *v <= 0)
      return InvalidArgument(where + ": " + name("max_records_per_run") + " must be a whole number (a TOML integer), at least 1");
    o.max_records = *v;
  }
  return Status::Ok();
}

void PrintText(const ImportReport& r) {
  std::printf("stream '%s' -> table '%s'\n", r.stream.c_str(), r.table.c_str());
  for (const auto& s : r.shards) {
    std::string behind = s.millis_behind_latest < 0 ? "?" : std::to_string(s.millis_behind_latest) + " ms";
    std::printf("  %s: %lld records", s.shard_id.c_str(), static_cast<long long>(s.records));
    if (s.records > 0)
      std::printf(", sequence numbers %s .. %s", s.first_sequence_number.c_str(), s.last_sequence_number.c_str());
    if (s.bad_records > 0) std::printf(", %lld bad", static_cast<long long>(s.bad_records));
    std::printf(", behind latest %s%s%s\n", behind.c_str(), s.reached_cap ? " (reached --max-records-per-run)" : "",
                s.shard_closed_and_read ? " (closed shard fully read)" : "");
    for (const auto& b : s.first_bad) {
      std::printf("    bad record at sequence number %s", b.sequence_number.c_str());
      if (b.subsequence_number >= 0) std::printf(" subsequence %lld", static_cast<long long>(b.subsequence_number));
      std::printf(": %s\n", b.error.c_str());
    }
    if (s.bad_records > static_cast<int64_t>(s.first_bad.size()))
      std::printf("    ... and %lld more\n", static_cast<long long>(s.bad_records - static_cast<int64_t>(s.first_bad.size())));
  }
  if (r.total_bad_records > 0) {
    std::printf("%lld bad record(s) %s\n", static_cast<long long>(r.total_bad_records),
                r.rejects_table.empty() ? "skipped" : ("written to " + r.rejects_table).c_str());
  }
  if (r.gaps > 0)
    std::printf("%lld retention gap(s): records trimmed before they were imported (see kinesis_import_gaps)\n",
                static_cast<long long>(r.gaps));
  std::printf("imported %lld records from %zu shard(s) in %.2f s, %lld commit(s)\n",
              static_cast<long long>(r.total_records), r.shards.size(), r.elapsed_seconds,
              static_cast<long long>(r.commits));
}

void PrintJson(const ImportReport& r) {
  std::string out = "{\"stream\":" + JsonString(r.stream) + ",\"table\":" + JsonString(r.table) + ",\"shards\":[";
  for (size_t i = 0; i < r.shards.size(); ++i) {
    const auto& s = r.shards[i];
    if (i) out += ",";
    out += "{\"shard_id\":" + JsonString(s.shard_id) + ",\"records\":" + std::to_string(s.records);
    out += ",\"first_sequence_number\":" +
           (s.first_sequence_number.empty() ? "null" : JsonString(s.first_sequence_number));
    out += ",\"last_sequence_number\":" +
           (s.last_sequence_number.empty() ? "null" : JsonString(s.last_sequence_number));
    out += ",\"millis_behind_latest\":" +
           (s.millis_behind_latest < 0 ? std::string("null") : std::to_string(s.millis_behind_latest));
    out += ",\"last_subsequence_number\":" +
           (s.last_subsequence_number < 0 ? std::string("null") : std::to_string(s.last_subsequence_number));
    out += ",\"bad_records\":" + std::to_string(s.bad_records) + ",\"first_bad_records\":[";
    for (size_t k = 0; k < s.first_bad.size(); ++k) {
      const auto& b = s.first_bad[k];
      if (k) out += ",";
      out += "{\"sequence_number\":" + JsonString(b.sequence_number) + ",\"subsequence_number\":" +
             (b.subsequence_number < 0 ? std::string("null") : std::to_string(b.subsequence_number)) +
             ",\"error\":" + JsonString(b.error) + "}";
    }
    out += "]";
    out += ",\"reached_cap\":" + std::string(s.reached_cap ? "true" : "false");
    out += ",\"closed_shard_fully_read\":" + std::string(s.shard_closed_and_read ? "true" : "false");
    out += ",\"parents\":[";
    for (size_t k = 0; k < s.parents.size(); ++k) out += (k ? "," : "") + JsonString(s.parents[k]);
    out += "],\"gaps\":" + std::to_string(s.gaps) + "}";
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.3f", r.elapsed_seconds);
  out += "],\"total_records\":" + std::to_string(r.total_records) +
         ",\"total_bad_records\":" + std::to_string(r.total_bad_records) +
         ",\"commits\":" + std::to_string(r.commits) + ",\"gaps\":" + std::to_string(r.gaps) +
         ",\"rejects_table\":" + (r.rejects_table.empty() ? std::string("null") : JsonString(r.rejects_table)) +
         ",\"elapsed_seconds\":" + elapsed + "}\n";
  std::fputs(out.c_str(), stdout);
}



// follow joins a group of workers when --worker-id or --lease-ttl is given (either one).
Result<LeaseSettings> BuildLeaseSettings(const RunOptions& o, const std::string& command) {
  LeaseSettings l;
  if (o.worker_id.empty() && o.lease_ttl.empty()) return l;
  l.enabled = true;
  if (!IsPostgresConnectionString(o.db)) {
    return InvalidArgument(command + " --worker-id: several workers cannot share a DuckDB file: DuckDB lets one "
                           "process at a time write a database file, by its design. Import into PostgreSQL "
                           "(--db postgresql://...) to share a stream between workers, or run one follow "
                           "without --worker-id");
  }
  l.worker_id = o.worker_id.empty() ? DefaultWorkerId() : o.worker_id;
  if (!o.lease_ttl.empty()) {
    KI_ASSIGN_OR_RETURN(l.ttl, ParseDuration(o.lease_ttl, "--lease-ttl"));
    if (l.ttl < std::chrono::milliseconds(300))
      return InvalidArgument(command + ": --lease-ttl must be at least 300ms (renewals run every third of it)");
  }
  return l;
}

// `run` and `follow` take the same options (follow adds its commit policy and shard refresh) and
// build the same ImportOptions: one engine, two ways to drive it.
Status BuildImportOptions(const RunOptions& o, const std::string& command, bool follow, ImportOptions& opts) {
  if (o.stream.empty()) return InvalidArgument(command + ": --stream (or stream_name in --config) is required");
  if (o.table.empty()) return InvalidArgument(command + ": --table (or table_name in --config) is required");
  KI_RETURN_IF_ERROR(ValidateStreamName(o.stream));
  if (o.mapping != "by-name" && o.mapping != "by-position")
    return InvalidArgument(command + ": --mapping must be by-name or by-position");
  opts.stream = o.stream;
  opts.table = o.table;
  opts.max_records_per_run = o.max_records;
  opts.decoder.mapping = o.mapping == "by-position" ? ColumnMapping::kByPosition : ColumnMapping::kByName;
  for (const auto& m : o.maps) {
    auto parsed = ParseColumnPathArgument(m);
    if (!parsed.ok()) return parsed.status().WithContext(command + ": --map '" + m + "'");
    opts.decoder.column_paths.push_back(*parsed);
  }
  opts.decoder.strict_keys = o.strict_keys;
  if (o.epoch_unit == "ms") opts.decoder.epoch_unit = EpochUnit::kMilliseconds;
  else if (o.epoch_unit == "us") opts.decoder.epoch_unit = EpochUnit::kMicroseconds;
  else if (o.epoch_unit == "s") opts.decoder.epoch_unit = EpochUnit::kSeconds;
  else return InvalidArgument(command + ": --epoch-unit must be s, ms or us");
  if (o.format == "ndjson") opts.payload.format = PayloadFormat::kNdjson;
  else if (o.format == "raw") opts.payload.format = PayloadFormat::kRaw;
  else if (o.format == "json") opts.payload.format = PayloadFormat::kJson;
  else return InvalidArgument(command + ": --format must be json, ndjson or raw");
  if (o.on_error == "skip") opts.on_error = OnError::kSkip;
  else if (o.on_error == "dead-letter") opts.on_error = OnError::kDeadLetter;
  else if (o.on_error == "fail") opts.on_error = OnError::kFail;
  else return InvalidArgument(command + ": --on-error must be fail, skip or dead-letter");
  if (!o.rejects_table.empty() && opts.on_error != OnError::kDeadLetter)
    return InvalidArgument(command + ": --rejects-table needs --on-error dead-letter");
  if (o.on_trimmed == "fail") opts.on_trimmed = OnTrimmed::kFail;
  else if (o.on_trimmed == "continue") opts.on_trimmed = OnTrimmed::kContinue;
  else return InvalidArgument(command + ": --on-trimmed must be fail or continue");
  if (o.log_format != "text" && o.log_format != "json")
    return InvalidArgument(command + ": --log-format must be text or json");
  if (o.progress != "auto" && o.progress != "always" && o.progress != "never")
    return InvalidArgument(command + ": --progress must be auto, always or never");
  if (o.max_buffer_mb < 16) return InvalidArgument(command + ": --max-buffer-mb must be at least 16");
  opts.max_buffer_bytes = static_cast<size_t>(o.max_buffer_mb) << 20;
  opts.rejects_table = o.rejects_table;
  opts.max_bad_records = o.max_bad_records;
  KI_ASSIGN_OR_RETURN(opts.start_position, ParseStartPosition(o.start_position));
  opts.follow = follow;
  if (follow) {
    KI_ASSIGN_OR_RETURN(opts.commit_interval, ParseDuration(o.commit_interval, "--commit-interval"));
    KI_ASSIGN_OR_RETURN(opts.shard_refresh, ParseDuration(o.shard_refresh, "--shard-refresh"));
    if (opts.commit_interval.count() <= 0) return InvalidArgument(command + ": --commit-interval must be positive");
    if (opts.shard_refresh.count() <= 0) return InvalidArgument(command + ": --shard-refresh must be positive");
    if (o.commit_records <= 0) return InvalidArgument(command + ": --commit-records must be at least 1");
    opts.commit_records = o.commit_records;
  }
  return Status::Ok();
}

// Table inference (issue 16): --create-table creates a missing table first, in its own
// transaction (infer_table.h says why); without it, a missing table's error shows the statement
// inferred from the stream instead of a template.
Status PrepareTable(const RunOptions& o, const std::string& command, const ImportOptions& opts, KinesisClient& kinesis) {
  if (opts.payload.format == PayloadFormat::kRaw) {
    if (o.create_table)
      return InvalidArgument(command + ": --create-table infers columns from JSON records: use it with "
                             "--format json or ndjson");
    return Status::Ok();
  }
  InferTableRequest infer;
  infer.sample.stream = o.stream;
  // A latest iterator sees only records put after it was taken: a sample from there is empty, so
  // the table is inferred from the records already in the stream.
  if (opts.start_position.type != IteratorType::kLatest) infer.sample.from = opts.start_position;
  infer.sample.format = opts.payload.format == PayloadFormat::kNdjson ? PayloadFormat::kNdjson : PayloadFormat::kJson;
  infer.table = o.table;
  infer.dialect = DialectOfDb(o.db);
  if (o.create_table) {
    auto created = CreateTableFromStreamIfMissing(kinesis, SystemClock(), o.db, infer);
    if (!created.ok()) return created.status();
  }
  // Only the missing table is this step's to report: a database that cannot be opened right now
  // (a DuckDB file another process holds, which follow waits for) is the engine's.
  auto sink = OpenSink(o.db, DbAccess::kExisting);
  if (!sink.ok()) return sink.status().kind() == ErrorKind::kNotFound ? sink.status() : Status::Ok();
  auto described = (*sink)->DescribeTable(o.table);
  if (!described.ok() && described.status().kind() == ErrorKind::kNotFound)
    return MissingTableWithSuggestion(described.status(), kinesis, SystemClock(), infer);
  return Status::Ok();
}

void RegisterImportCommand(CLI::App& app, std::function<int()>* run, bool follow) {
  const char* name = follow ? "follow" : "run";
  auto* cmd = app.add_subcommand(
      name,
      follow ? "import a stream continuously, exactly once: commits rows and shard positions every "
               "--commit-interval or --commit-records, follows splits and merges (parents before children), "
               "survives Kinesis and database outages; SIGINT/SIGTERM commit what is read and exit 0, a second "
               "signal exits at once without committing"
             : "import what is new in a stream into a table, exactly once: rows and shard positions are "
               "committed in one transaction, so a failed run changes nothing and the next run resumes");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("--config", o->config,
                  std::string("TOML job file; keys mirror the flags: stream_name, table_name, db, region, endpoint_url, "
                              "connection_name, connections_file, profile, max_records_per_run, start_position, mapping, "
                              "format, on_error, rejects_table, max_bad_records, map (array), strict_keys, epoch_unit, "
                              "retry_deadline, wire, on_trimmed, max_buffer_mb, duckdb_threads, create_table, metrics_listen, "
                              "log_format, progress") +
                      (follow ? ", commit_interval, commit_records, shard_refresh, worker_id, lease_ttl" : "") +
                      "; in any case (STREAM_NAME as in the Exasol connector). "
                      "Flags override the file, the file overrides the environment");
  cmd->add_option("--stream", o->stream, "stream name");
  cmd->add_option("--table", o->table, "target table (must exist; may be schema.table)");
  cmd->add_option("--db", o->db, "target database: a DuckDB file, or PostgreSQL as a libpq URI (postgresql://user@host:port/db) or "
                  "key=value conninfo (host=... dbname=...); passwords via PGPASSWORD or ~/.pgpass")
      ->capture_default_str();
  if (!follow) {
    cmd->add_option("--max-records-per-run", o->max_records, "at most this many records per shard in one run (at least 1)")
        ->check(AtLeast(1))
        ->capture_default_str();
  } else {
    cmd->add_option("--commit-interval", o->commit_interval,
                    "commit at least this often while records arrive: 250ms, 2s, 1m")
        ->capture_default_str();
    cmd->add_option("--commit-records", o->commit_records, "commit when this many rows are appended")
        ->check(AtLeast(1))
        ->capture_default_str();
    cmd->add_option("--shard-refresh", o->shard_refresh,
                    "how often the shard list is read again to find new shards (at once when a shard ends)")
        ->capture_default_str();
    cmd->add_option("--worker-id", o->worker_id,
                    "join the group of workers sharing this stream and table (PostgreSQL only): shards are leased "
                    "out among the live workers, each commit is fenced by its leases (docs/scale-out.md); "
                    "default with --lease-ttl: hostname-pid");
    cmd->add_option("--lease-ttl", o->lease_ttl,
                    "with workers: a lease not renewed for this long (by the database's clock) may be taken by "
                    "another worker; renewed every third of it (default 10s; implies --worker-id hostname-pid)");
  }
  cmd->add_option("--start-position", o->start_position,
                  "where a shard without a stored position starts: trim_horizon, latest, at_timestamp:ISO8601 "
                  "(a child shard whose parents were read starts at its beginning)")
      ->capture_default_str();
  cmd->add_option("--mapping", o->mapping,
                  "by-name: JSON keys to column names (case-insensitive); by-position: values in document "
                  "order fill the data columns in table order")
      ->check(CLI::IsMember({"by-name", "by-position"}))
      ->capture_default_str();
  cmd->add_option("--format", o->format,
                  "payload format: json (one object per record), ndjson (several lines per record -> several "
                  "rows), raw (the whole payload into the one data column). KPL aggregates and gzip are "
                  "detected and unpacked in every format")
      ->check(CLI::IsMember({"json", "ndjson", "raw"}))
      ->capture_default_str();
  cmd->add_option("--map", o->maps,
                  "column=path: the column takes its value from a nested field, $.device.id (JSONPath) or "
                  "/device/id (JSON pointer); repeatable")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--strict-keys", o->strict_keys, "a top-level key that no column takes makes the record bad");
  cmd->add_option("--epoch-unit", o->epoch_unit,
                  "unit of epoch numbers going into TIMESTAMP columns: s, ms or us")
      ->check(CLI::IsMember({"s", "ms", "us"}))
      ->capture_default_str();
  cmd->add_option("--on-error", o->on_error,
                  "a record that cannot be converted: fail (stop, commit nothing), skip (count and report), "
                  "dead-letter (write it to the rejects table in the same transaction)")
      ->check(CLI::IsMember({"fail", "skip", "dead-letter"}))
      ->capture_default_str();
  cmd->add_option("--rejects-table", o->rejects_table,
                  "rejects table for --on-error dead-letter (default <table>_rejects; created if missing)");
  cmd->add_option("--max-bad-records", o->max_bad_records,
                  follow ? "with skip/dead-letter: stop when more than N bad records were met since the start"
                         : "with skip/dead-letter: roll back the run when it meets more than N bad records")
      ->check(AtLeast(0));
  cmd->add_option("--on-trimmed", o->on_trimmed,
                  "a stored position the stream's retention trimmed past (records lost before they were imported): "
                  "fail (stop, naming stream, shard and positions) or continue (warn, record the gap in "
                  "kinesis_import_gaps in the same transaction, go on)")
      ->check(CLI::IsMember({"fail", "continue"}))
      ->capture_default_str();
  cmd->add_option("--max-buffer-mb", o->max_buffer_mb,
                  "memory for responses, decoded rows and the queue together; reading pauses when it is full")
      ->check(AtLeast(16))
      ->capture_default_str();
  cmd->add_option("--duckdb-threads", o->duckdb_threads,
                  "DuckDB target: DuckDB's worker threads (its `threads` setting). Rows are appended by one "
                  "thread either way; more threads parallelise DuckDB's checkpoint and cost CPU waiting for "
                  "work (docs/performance.md). PostgreSQL targets ignore it")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}))
      ->capture_default_str();
  cmd->add_option("--output", o->output, follow ? "the report at exit: text or json" : "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_flag("--create-table", o->create_table,
                "create the table (and the DuckDB file) when missing, from a sample of the stream as "
                "suggest-table infers it, committed before the import starts");
  // Observability (docs/operations.md).
  cmd->add_option("--metrics-listen", o->metrics_listen,
                  "serve /metrics (Prometheus) and /healthz on ADDRESS:PORT, e.g. 127.0.0.1:9108; a bare port "
                  "listens on 127.0.0.1 (all interfaces only when written 0.0.0.0:PORT)");
  cmd->add_option("--progress", o->progress,
                  "a live status line on stderr (records/s, imported, lag" + std::string(follow ? "" : ", ETA") +
                      "): auto (when stderr is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  cmd->add_option("--log-format", o->log_format,
                  "log lines on stderr: text, or json (one object per line: time, level, message, and stream, "
                  "shard, sequence_number, aws_error_type, http_status, sqlstate, retriable when known)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddAwsOptions(*cmd, o->aws);
  AddWireOption(*cmd, o->aws);
  cmd->callback([o, run, cmd, follow, name] {
    *run = [o, cmd, follow, name]() -> int {
      if (!o->config.empty()) {
        Status st = ApplyConfigFile(*cmd, *o, follow);
        if (!st.ok()) return ReportError(st);
      }
      ImportOptions opts;
      if (Status st = BuildImportOptions(*o, name, follow, opts); !st.ok()) return ReportError(st);
      auto leases = BuildLeaseSettings(*o, name);
      if (!leases.ok()) return ReportError(leases.status());
      SetLogFormat(o->log_format == "json" ? LogFormat::kJson : LogFormat::kText);
      // Before anything is sent: a --metrics-listen address in use is a usage error (exit 2).
      auto observability = Observability::Start(
          {name, o->stream, o->metrics_listen, o->progress, opts.commit_interval, follow});
      if (!observability.ok()) return ReportError(observability.status());
      opts.metrics = (*observability)->metrics();
      auto session = OpenKinesis(o->aws);
      if (!session.ok()) {
        observability->reset();
        return ReportSetupError(session.status());
      }
      if (Status st = PrepareTable(*o, name, opts, *session->client); !st.ok()) {
        observability->reset();
        return ReportError(st);
      }
      SinkOpenOptions sink_options;
      sink_options.duckdb_threads = static_cast<int>(o->duckdb_threads);
      Result<ImportReport> report = follow ? FollowCommand(*session->client, o->db, opts, *leases, sink_options)
                                           : [&]() -> Result<ImportReport> {
                                               auto sink = OpenSink(o->db, DbAccess::kExisting, sink_options);
                                               if (!sink.ok()) return sink.status();
                                               return RunImport(*session->client, **sink, opts, SystemClock());
                                             }();
      observability->reset();  // the progress line goes before the report or the error
      if (!report.ok()) return ReportError(report.status());
      if (o->output == "json") PrintJson(*report);
      else PrintText(*report);
      return kExitOk;
    };
  });
}

}  // namespace

void RegisterRunCommand(CLI::App& app, std::function<int()>* run) { RegisterImportCommand(app, run, false); }
void RegisterFollowCommand(CLI::App& app, std::function<int()>* run) { RegisterImportCommand(app, run, true); }

}  // namespace ki::cli
