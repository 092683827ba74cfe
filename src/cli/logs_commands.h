#pragma once
// `opsight logs ...`: log groups and streams, putting events, Logs Insights queries, filtering
// and patterns against a running server (docs/logs.md).

#include <CLI/CLI.hpp>
#include <string>

namespace opsight::cli {

void add_logs_commands(CLI::App& app, const std::string* server_url);

}  // namespace opsight::cli
