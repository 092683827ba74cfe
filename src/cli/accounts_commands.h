#pragma once
// `opsight accounts link|unlink|list`: monitoring-account links for cross-account observability
// (resources/account_links.h). Like `opsight keys` these open <data-dir>/meta.db directly; a
// running server sees a change within resources::kLinkCacheTtlMs.

#include <CLI/CLI.hpp>

namespace opsight::cli {

void add_accounts_commands(CLI::App& app);

}  // namespace opsight::cli
