// Each command registers its subcommand and options, and runs when selected.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace ki::cli {

// Registers the subcommand on `app`; `*run` is set to the function that executes it and returns
// the exit code.
void RegisterShardsCommand(CLI::App& app, std::function<int()>* run);
void RegisterPutCommand(CLI::App& app, std::function<int()>* run);
void RegisterPeekCommand(CLI::App& app, std::function<int()>* run);
void RegisterStreamCommand(CLI::App& app, std::function<int()>* run);
void RegisterRunCommand(CLI::App& app, std::function<int()>* run);
void RegisterFollowCommand(CLI::App& app, std::function<int()>* run);
void RegisterSqlCommand(CLI::App& app, std::function<int()>* run);
void RegisterPositionsCommand(CLI::App& app, std::function<int()>* run);
void RegisterSuggestTableCommand(CLI::App& app, std::function<int()>* run);
void RegisterCredentialsCommand(CLI::App& app, std::function<int()>* run);
void RegisterStatusCommand(CLI::App& app, std::function<int()>* run);

// The text of --version: version, git commit, DuckDB, libcurl and libpq versions, one per line.
std::string VersionText();

}  // namespace ki::cli
