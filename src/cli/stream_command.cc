#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace ki::cli {

void RegisterStreamCommand(CLI::App& app, std::function<int()>* run) {
  auto* stream = app.add_subcommand("stream", "manage streams (for demos and tests)");
  stream->require_subcommand(1);
  auto* create = stream->add_subcommand("create", "create a stream and wait until it is ACTIVE");
  struct Options {
    AwsOptions aws;
    std::string stream;
    int shards = 1;
    bool no_wait = false;
    int wait_seconds = 120;
  };
  auto o = std::make_shared<Options>();
  create->add_option("--stream", o->stream, "stream name")->required();
  create->add_option("--shards", o->shards, "number of shards")->check(CLI::Range(1, 10000))->capture_default_str();
  create->add_flag("--no-wait", o->no_wait, "return without waiting for ACTIVE");
  create->add_option("--wait-seconds", o->wait_seconds, "how long to wait for ACTIVE")->capture_default_str();
  AddAwsOptions(*create, o->aws);
  create->callback([o, run] {
    *run = [o]() -> int {
      if (Status st = ValidateStreamName(o->stream); !st.ok()) return ReportError(st);
      auto session = OpenKinesis(o->aws);
      if (!session.ok()) return ReportSetupError(session.status());
      auto& client = *session->client;
      Status st = client.CreateStream(o->stream, o->shards);
      if (!st.ok()) return ReportError(st);
      if (!o->no_wait) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o->wait_seconds);
        for (;;) {
          auto summary = client.DescribeStreamSummary(o->stream);
          if (!summary.ok()) return ReportError(summary.status());
          if (summary->stream_status == "ACTIVE") break;
          if (std::chrono::steady_clock::now() > deadline)
            return ReportError(FatalError("stream '" + o->stream + "' is still " +
                                          summary->stream_status + " after " +
                                          std::to_string(o->wait_seconds) + " s"));
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
      std::printf("created stream '%s' with %d shard(s)\n", o->stream.c_str(), o->shards);
      return kExitOk;
    };
  });
}

}  // namespace ki::cli
