#include <cstdio>
#include <thread>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/base64.h"
#include "common/json_writer.h"
#include "common/time_format.h"
#include "common/utf8.h"

namespace ki::cli {

void RegisterPeekCommand(CLI::App& app, std::function<int()>* run) {
  auto* cmd = app.add_subcommand(
      "peek",
      "print records as NDJSON (shard_id, sequence_number, partition_key, arrival_time, data) "
      "without importing anything; data is a string when it is UTF-8, else data_base64");
  struct Options {
    AwsOptions aws;
    std::string stream;
    std::string from = "trim_horizon";
    int64_t limit = 10;
    std::string shard;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--stream", o->stream, "stream name")->required();
  cmd->add_option("--from", o->from, "trim_horizon, latest or at_timestamp:ISO8601")->capture_default_str();
  cmd->add_option("-n,--max-records", o->limit, "stop after this many records (all shards together)")
      ->check(AtLeast(1))
      ->capture_default_str();
  cmd->add_option("--shard", o->shard, "only this shard");
  AddAwsOptions(*cmd, o->aws);
  AddWireOption(*cmd, o->aws);
  cmd->callback([o, run] {
    *run = [o]() -> int {
      if (Status st = ValidateStreamName(o->stream); !st.ok()) return ReportError(st);
      auto start = ParseStartPosition(o->from);
      if (!start.ok()) return ReportError(start.status());
      auto session = OpenKinesis(o->aws);
      if (!session.ok()) return ReportSetupError(session.status());
      auto& client = *session->client;
      ListShardsRequest req;
      req.stream_name = o->stream;
      auto shards = client.ListShards(req);
      if (!shards.ok()) return ReportError(shards.status());
      int64_t printed = 0;
      std::string line;
      for (const auto& shard : *shards) {
        if (printed >= o->limit) break;
        if (!o->shard.empty() && shard.shard_id != o->shard) continue;
        auto it = client.GetShardIterator(o->stream, shard.shard_id, *start);
        if (!it.ok()) return ReportError(it.status());
        std::string iterator = *it;
        int empty_polls = 0;
        while (!iterator.empty() && printed < o->limit) {
          int want = static_cast<int>(std::min<int64_t>(10000, o->limit - printed));
          auto r = client.GetRecords(iterator, want, o->stream, shard.shard_id);
          if (!r.ok()) return ReportError(r.status());
          for (const auto& rec : r->records) {
            line.clear();
            line += "{\"shard_id\":";
            AppendJsonString(line, shard.shard_id);
            line += ",\"sequence_number\":";
            AppendJsonString(line, rec.sequence_number);
            line += ",\"partition_key\":";
            AppendJsonString(line, rec.partition_key);
            line += ",\"arrival_time\":";
            AppendJsonString(line, FormatIso8601Millis(rec.arrival_time_ms));
            if (IsValidUtf8(rec.data)) {
              line += ",\"data\":";
              AppendJsonString(line, rec.data);
            } else {
              line += ",\"data_base64\":\"";
              Base64Encode(rec.data, line);
              line += '"';
            }
            line += "}\n";
            std::fwrite(line.data(), 1, line.size(), stdout);
            if (++printed >= o->limit) break;
          }
          iterator = r->next_shard_iterator;
          if (!r->records.empty()) {
            empty_polls = 0;
            continue;
          }
          // Caught up when the server says so; a few empty polls behind latest are followed
          // (records may sit further on), within the 5 calls/s per shard limit.
          if (r->millis_behind_latest <= 0 || ++empty_polls > 20) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
      }
      std::fflush(stdout);
      return kExitOk;
    };
  });
}

}  // namespace ki::cli
