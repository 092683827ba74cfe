#pragma once
// Helpers shared by the logstore tests: a temp directory, event builders and scan read-back.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/log_store.h"
#include "testing/temp_dir.h"

namespace opsight::storage::logstore::testing {

using TempDir = ::opsight::testing::TempDir;

// A LogRecord with owned strings.
struct Row {
  std::string group, stream;
  int64_t ts = 0, ingestion = 0;
  std::string message, severity_text;
  int32_t severity_number = 0;
  std::string trace_id, span_id;
  std::vector<std::pair<std::string, std::string>> fields;
  uint64_t account_bytes = 0;
  bool operator==(const Row&) const = default;
  auto operator<=>(const Row& o) const {
    return std::tie(ts, group, stream, message) <=> std::tie(o.ts, o.group, o.stream, o.message);
  }
};

inline Row to_row(const LogRecord& r) {
  Row x;
  x.group = r.log_group;
  x.stream = r.log_stream;
  x.ts = r.timestamp_ms;
  x.ingestion = r.ingestion_time_ms;
  x.message = r.message;
  x.severity_text = r.severity_text;
  x.severity_number = r.severity_number;
  x.trace_id = r.trace_id;
  x.span_id = r.span_id;
  for (const auto& f : r.fields) x.fields.emplace_back(f.name, f.value);
  x.account_bytes = r.account_bytes;
  return x;
}

struct ScanResult {
  std::vector<Row> rows;
  LogScanStats stats;
  Status status;
};

inline ScanResult read_scan(LogStore* store, const LogScan& scan, const Tenant& tenant = {}) {
  ScanResult out;
  auto sc = store->scan(tenant, scan);
  if (!sc.ok()) {
    out.status = sc.status();
    return out;
  }
  LogRecord rec;
  while (true) {
    auto more = (*sc)->next(&rec);
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    out.rows.push_back(to_row(rec));
  }
  out.stats = (*sc)->stats();
  return out;
}

inline LogScan all_of(std::vector<std::string> groups) {
  LogScan s;
  s.groups = std::move(groups);
  s.start_ms = INT64_MIN;
  s.end_ms = INT64_MAX;
  return s;
}

inline LogEvent ev(int64_t ts, std::string message) {
  LogEvent e;
  e.timestamp_ms = ts;
  e.message = std::move(message);
  return e;
}

}  // namespace opsight::storage::logstore::testing
