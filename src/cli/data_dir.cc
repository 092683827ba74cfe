#include "cli/data_dir.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "common/clock.h"

namespace opsight::cli {

void fail_and_exit(const std::string& msg) {
  std::fprintf(stderr, "opsight: %s\n", msg.c_str());
  std::exit(1);
}

std::unique_ptr<storage::meta::MetaStore> open_data_dir_meta(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) fail_and_exit("cannot create data directory " + data_dir + ": " + ec.message());
  auto meta = storage::meta::MetaStore::open(data_dir + "/meta.db", Clock::real());
  if (!meta.ok()) fail_and_exit(meta.status().to_string());
  return std::move(*meta);
}

}  // namespace opsight::cli
