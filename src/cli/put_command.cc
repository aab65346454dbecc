#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace ki::cli {
namespace {

// The partition key for a line: a fixed key, a top-level field of the JSON object, or (by
// default) the line number, which spreads records evenly over the shards.
Result<std::string> PartitionKeyFor(const std::string& line, int64_t line_no, const std::string& fixed,
                                    const std::string& field, simdjson::dom::parser& parser) {
  if (!fixed.empty()) return fixed;
  if (field.empty()) return std::to_string(line_no);
  simdjson::dom::element doc;
  if (auto err = parser.parse(line).get(doc))
    return InvalidArgument("line " + std::to_string(line_no) + ": not JSON (" +
                           simdjson::error_message(err) + "), cannot read field '" + field + "'");
  simdjson::dom::element v;
  if (doc.type() != simdjson::dom::element_type::OBJECT || doc[field].get(v) || v.is_null())
    return InvalidArgument("line " + std::to_string(line_no) + ": no field '" + field + "'");
  std::string_view s;
  if (!v.get_string().get(s)) return std::string(s);
  return simdjson::minify(v);
}

}  // namespace

void RegisterPutCommand(CLI::App& app, std::function<int()>* run) {
  auto* cmd = app.add_subcommand(
      "put", "put NDJSON lines from FILE (or - for stdin) as records (PutRecords batches of up to 500 records / 5 MiB)");
  struct Options {
    AwsOptions aws;
    std::string stream;
    std::string partition_key;
    std::string partition_key_field;
    std::string file = "-";
    size_t chunk = 5000;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--stream", o->stream, "stream name")->required();
  auto* pk = cmd->add_option("--partition-key,-k", o->partition_key, "the partition key of every record");
  auto* pkf = cmd->add_option("--partition-key-field", o->partition_key_field,
                              "take the partition key from this top-level JSON field (default: the line number)");
  pk->excludes(pkf);
  cmd->add_option("file", o->file, "NDJSON file, or - for standard input")->capture_default_str();
  AddAwsOptions(*cmd, o->aws);
  cmd->callback([o, run] {
    *run = [o]() -> int {
      if (Status st = ValidateStreamName(o->stream); !st.ok()) return ReportError(st);
      std::ifstream file;
      std::istream* in = &std::cin;
      if (o->file != "-") {
        file.open(o->file, std::ios::binary);
        if (!file) return ReportError(NotFound("cannot open '" + o->file + "'"));
        in = &file;
      }
      auto session = OpenKinesis(o->aws);
      if (!session.ok()) return ReportSetupError(session.status());
      simdjson::dom::parser parser;
      std::vector<PutRecordsEntry> entries;
      std::vector<int64_t> line_numbers;
      int64_t line_no = 0, put = 0, failed = 0;
      std::map<std::string, int64_t> per_shard;
      auto flush = [&]() -> Status {
        if (entries.empty()) return Status::Ok();
        KI_ASSIGN_OR_RETURN(auto results, session->client->PutRecords(o->stream, entries));
        for (size_t i = 0; i < results.size(); ++i) {
          if (results[i].ok) {
            ++put;
            ++per_shard[results[i].shard_id];
          } else {
            ++failed;
            std::fprintf(stderr, "kinesis-import: line %lld not put: %s: %s\n",
                         static_cast<long long>(line_numbers[i]), results[i].error_code.c_str(),
                         results[i].error_message.c_str());
          }
        }
        entries.clear();
        line_numbers.clear();
        return Status::Ok();
      };
      std::string line;
      while (std::getline(*in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        auto key = PartitionKeyFor(line, line_no, o->partition_key, o->partition_key_field, parser);
        if (!key.ok()) {
          ++failed;
          std::fprintf(stderr, "kinesis-import: %s\n", key.status().message().c_str());
          continue;
        }
        entries.push_back({line, std::move(*key), ""});
        line_numbers.push_back(line_no);
        if (entries.size() >= o->chunk) {
          Status st = flush();
          if (!st.ok()) return ReportError(st);
        }
      }
      Status st = flush();
      if (!st.ok()) return ReportError(st);
      std::printf("put %lld records into stream '%s'", static_cast<long long>(put), o->stream.c_str());
      if (failed) std::printf(", %lld FAILED", static_cast<long long>(failed));
      std::printf("\n");
      for (const auto& [shard, n] : per_shard) std::printf("  %s: %lld\n", shard.c_str(), static_cast<long long>(n));
      return failed ? kExitError : kExitOk;
    };
  });
}

}  // namespace ki::cli
