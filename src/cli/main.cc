// kinesis-import: loads Kinesis Data Streams into DuckDB (and PostgreSQL), exactly once.
// Exit codes: 0 ok, 1 a failure while running, 2 the command could not start because of what the
// user gave it (see cli_common.h and the README's Commands section).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/log.h"

int main(int argc, char** argv) {
  CLI::App app{"kinesis-import: load Amazon Kinesis Data Streams into analytics databases, exactly once"};
  app.require_subcommand(1);
  // A repeated option takes its last value (as most CLIs do), so wrappers can append overrides.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", ki::cli::VersionText);
  app.footer(
      "Exit codes: 0 ok; 2 the command could not start because of what it was given (flags, job file, "
      "connections file, profiles, stream name, a target table that is missing or cannot take the records): "
      "nothing was sent or written; 1 a failure while running (network, AWS, database, bad records under "
      "--on-error fail).");
  // -v/--verbose and --log-level are accepted after the subcommand too (`run -v ...`): options a
  // subcommand does not know fall through to here. Set before the subcommands, which inherit it.
  app.fallthrough();
  bool verbose = false;
  std::string log_level;
  app.add_flag("-v,--verbose", verbose,
               "log progress and every HTTP call (never secrets); before or after the command");
  app.add_option("--log-level", log_level, "debug, info, warning, error; before or after the command")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));

  std::function<int()> run;
  ki::cli::RegisterShardsCommand(app, &run);
  ki::cli::RegisterPutCommand(app, &run);
  ki::cli::RegisterPeekCommand(app, &run);
  ki::cli::RegisterStreamCommand(app, &run);
  ki::cli::RegisterRunCommand(app, &run);
  ki::cli::RegisterFollowCommand(app, &run);
  ki::cli::RegisterSqlCommand(app, &run);
  ki::cli::RegisterPositionsCommand(app, &run);
  ki::cli::RegisterSuggestTableCommand(app, &run);
  ki::cli::RegisterCredentialsCommand(app, &run);
  ki::cli::RegisterStatusCommand(app, &run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, in the same form as every other error.
    std::fprintf(stderr, "kinesis-import: error: %s (see --help)\n", e.what());
    return ki::cli::kExitUsage;
  }
  if (verbose) ki::SetLogLevel(ki::LogLevel::kDebug);
  if (log_level == "debug") ki::SetLogLevel(ki::LogLevel::kDebug);
  if (log_level == "info") ki::SetLogLevel(ki::LogLevel::kInfo);
  if (log_level == "warning") ki::SetLogLevel(ki::LogLevel::kWarn);
  if (log_level == "error") ki::SetLogLevel(ki::LogLevel::kError);
  if (!run) return ki::cli::kExitUsage;
  return run();
}
