#pragma once
// `opsight keys create|list|revoke`: access-key management (auth/key_store.h). Unlike the other
// client commands these do not call a server: they open <data-dir>/meta.db (SQLite in WAL mode,
// shared safely with a running server, which sees a new key at once and a revoked key within
// auth::kKeyCacheTtlMs) and <data-dir>/auth.key.

#include <CLI/CLI.hpp>

namespace opsight::cli {

void add_keys_commands(CLI::App& app);

}  // namespace opsight::cli
