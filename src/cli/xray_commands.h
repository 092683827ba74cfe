#pragma once
// `opsight xray ...`: X-Ray sampling rules on a running server, through the X-Ray REST API
// paths of the main HTTP port (docs/xray.md):
//   create-sampling-rule, update-sampling-rule, delete-sampling-rule, get-sampling-rules,
//   get-sampling-statistic-summaries.
// Each prints the server's JSON answer; an error answer exits 1 with the server's message.

#include <CLI/CLI.hpp>
#include <string>

namespace opsight::cli {

void add_xray_commands(CLI::App& app, const std::string* server_url);

}  // namespace opsight::cli
