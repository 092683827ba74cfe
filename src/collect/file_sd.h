#pragma once
// File-based service discovery (Prometheus file_sd_config): files matched by path globs, each a
// JSON or YAML list of target groups
//   [ { "targets": ["host:port", ...], "labels": { "name": "value", ... } }, ... ]
// Every group gets __meta_filepath (the file it came from). A file is re-read when the set of
// matching files changes or a file's size or modification time changes (checked on every
// refresh() call; the manager calls it every second) and in any case every refresh_interval.
// A file that cannot be read or parsed keeps its last good groups and reports the error.
//
// Thread safety: one FileSd is used by one thread (the scrape scheduler).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collect/scrape_config.h"
#include "collect/target.h"
#include "common/status.h"

namespace opsight::collect {

// Parses the contents of one file_sd file (`path` names it in errors and __meta_filepath).
Result<std::vector<TargetGroup>> parse_file_sd(std::string_view content, const std::string& path);

class FileSd {
 public:
  explicit FileSd(FileSdConfig cfg) : cfg_(std::move(cfg)) {}

  // Re-reads what changed (see above). Returns true when the groups may have changed (always on
  // the first call).
  bool refresh(int64_t now_ms);
  // The groups of every matching file, in path order.
  std::vector<TargetGroup> groups() const;
  // The last read or parse errors, "" when none.
  std::string last_error() const;

 private:
  struct FileState {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    std::vector<TargetGroup> groups;
    std::string error;
  };
  FileSdConfig cfg_;
  std::map<std::string, FileState> files_;
  int64_t last_full_ms_ = 0;
  bool first_ = true;
};

}  // namespace opsight::collect
