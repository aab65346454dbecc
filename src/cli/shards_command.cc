#include <cstdio>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/json_writer.h"

namespace ki::cli {
namespace {

std::string Parents(const ShardInfo& s) {
  std::string p = s.parent_shard_id;
  if (!s.adjacent_parent_shard_id.empty()) p += (p.empty() ? "" : ",") + s.adjacent_parent_shard_id;
  return p.empty() ? "-" : p;
}

void PrintJson(const std::vector<ShardInfo>& shards) {
  std::string out = "[";
  for (size_t i = 0; i < shards.size(); ++i) {
    const auto& s = shards[i];
    if (i) out += ",";
    out += "\n  {\"shard_id\":" + JsonString(s.shard_id);
    out += ",\"parent_shard_id\":" + (s.parent_shard_id.empty() ? "null" : JsonString(s.parent_shard_id));
    out += ",\"adjacent_parent_shard_id\":" +
           (s.adjacent_parent_shard_id.empty() ? "null" : JsonString(s.adjacent_parent_shard_id));
    out += ",\"state\":" + JsonString(s.is_open() ? "open" : "closed");
    out += ",\"starting_sequence_number\":" + JsonString(s.starting_sequence_number);
    out += ",\"ending_sequence_number\":" +
           (s.ending_sequence_number.empty() ? "null" : JsonString(s.ending_sequence_number));
    out += ",\"starting_hash_key\":" + JsonString(s.starting_hash_key);
    out += ",\"ending_hash_key\":" + JsonString(s.ending_hash_key) + "}";
  }
  out += shards.empty() ? "]\n" : "\n]\n";
  std::fputs(out.c_str(), stdout);
}

void PrintTable(const std::vector<ShardInfo>& shards) {
  size_t w_id = 8, w_par = 9;
  for (const auto& s : shards) {
    w_id = std::max(w_id, s.shard_id.size());
    w_par = std::max(w_par, Parents(s).size());
  }
  std::printf("%-*s  %-*s  %-6s  %-58s  %s\n", int(w_id), "SHARD ID", int(w_par), "PARENT(S)", "STATE",
              "SEQUENCE RANGE", "HASH KEY RANGE");
  for (const auto& s : shards) {
    std::string seq = s.starting_sequence_number + " - " +
                      (s.ending_sequence_number.empty() ? "" : s.ending_sequence_number);
    std::printf("%-*s  %-*s  %-6s  %-58s  %s - %s\n", int(w_id), s.shard_id.c_str(), int(w_par),
                Parents(s).c_str(), s.is_open() ? "open" : "closed", seq.c_str(),
                s.starting_hash_key.c_str(), s.ending_hash_key.c_str());
  }
}

}  // namespace

void RegisterShardsCommand(CLI::App& app, std::function<int()>* run) {
  auto* cmd = app.add_subcommand("shards", "list a stream's shards: id, parents, open/closed, sequence and hash key ranges");
  struct Options {
    AwsOptions aws;
    std::string stream;
    std::string stream_arn;
    std::string output = "text";
    int page_size = 0;
  };
  auto o = std::make_shared<Options>();
  auto* by_name = cmd->add_option("--stream", o->stream, "stream name");
  auto* by_arn = cmd->add_option("--stream-arn", o->stream_arn, "stream ARN (instead of --stream)");
  by_name->excludes(by_arn);
  cmd->add_option("--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->add_option("--page-size", o->page_size, "ListShards MaxResults per page (all pages are read)");
  AddAwsOptions(*cmd, o->aws);
  cmd->callback([o, run] {
    *run = [o]() -> int {
      if (o->stream.empty() && o->stream_arn.empty())
        return ReportError(InvalidArgument("shards: --stream or --stream-arn is required"));
      if (!o->stream.empty()) {
        if (Status st = ValidateStreamName(o->stream); !st.ok()) return ReportError(st);
      }
      auto session = OpenKinesis(o->aws);
      if (!session.ok()) return ReportSetupError(session.status());
      ListShardsRequest req;
      req.stream_name = o->stream;
      req.stream_arn = o->stream_arn;
      req.max_results = o->page_size;
      auto shards = session->client->ListShards(req);
      if (!shards.ok()) return ReportError(shards.status());
      if (o->output == "json") PrintJson(*shards);
      else PrintTable(*shards);
      return kExitOk;
    };
  });
}

}  // namespace ki::cli
