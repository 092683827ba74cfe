#pragma once
// `opsight incidents list|show|ack|resolve|annotate|runbook` and `opsight investigate`: clients of
// the incidents and investigations API of a running server (docs/incidents.md,
// docs/investigations.md).

#include <CLI/CLI.hpp>

#include <string>

namespace opsight::cli {

// `server_url` is read when a command runs (the global --server option).
void add_incident_commands(CLI::App& app, const std::string* server_url);

}  // namespace opsight::cli
