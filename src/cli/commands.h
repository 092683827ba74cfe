#pragma once
// Client subcommands of `opsight` (they talk to a running server over HTTP).

#include <CLI/CLI.hpp>
#include <string>

namespace opsight::cli {

// put metric, query stats, export. `server_url` is read when a command runs.
void add_client_commands(CLI::App& app, const std::string* server_url);

}  // namespace opsight::cli
