#include "cli/cli_common.h"
#include "cli/commands.h"

namespace ki::cli {

void RegisterRunCommand(CLI::App&, std::function<int()>*) {}

}  // namespace ki::cli
