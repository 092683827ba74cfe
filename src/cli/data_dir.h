#pragma once
// Helpers of the `opsight` commands that open a data directory's stores directly instead of
// calling a server (`opsight keys`, `opsight accounts`): <data-dir>/meta.db is SQLite in WAL
// mode, shared safely with a running server.

#include <memory>
#include <string>

#include "storage/meta/meta_store.h"

namespace opsight::cli {

// Prints "opsight: <msg>" to stderr and exits with status 1.
[[noreturn]] void fail_and_exit(const std::string& msg);

// Creates `data_dir` when absent and opens (creating) <data_dir>/meta.db with the real clock;
// fail_and_exit()s naming the path on error.
std::unique_ptr<storage::meta::MetaStore> open_data_dir_meta(const std::string& data_dir);

}  // namespace opsight::cli
