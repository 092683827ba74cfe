#pragma once
// `opsight change ...`: change events (deploys, config changes, scaling, feature flags) on a
// running server through the native REST API (src/api/native/events_api.h; docs/events.md):
//   record --service S --kind deploy|config|scale|flag [--version V] [--author A]
//          [--description D] [--time T] [--attr k=v]... [--id ID]
//                                   POST /api/v1/events/change; prints the event id
//   list [--since 24h] [--service S] [--limit N] [--json]
//                                   GET /api/v1/events/change; a table
//                                   TIME SERVICE KIND VERSION AUTHOR DESCRIPTION, oldest first
// An error answer exits 1 printing the server's code and message.

#include <CLI/CLI.hpp>
#include <string>

namespace opsight::cli {

// `server_url` is read when a command runs.
void add_change_commands(CLI::App& app, const std::string* server_url);

}  // namespace opsight::cli
