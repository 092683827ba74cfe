// Fuzz target: the Logs Insights parser and executor, and the filter-pattern parser, never crash
// on any input; a query that parses runs over a few records within small limits, and a snapshot
// taken at the end shows the same rows as finish().
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "query/insights/filter_pattern.h"
#include "query/insights/insights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight;
  using namespace opsight::query::insights;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  storage::LogField fields[] = {{"level", "ERROR"},
                                {"status", "503"},
                                {"latency", "1.5"},
                                {"user", "alice"},
                                {"ip", "192.0.2.1"}};
  std::vector<storage::LogRecord> records(3);
  const char* messages[] = {"[ERROR] user=alice latency := 15 Exception", "INFO ok 200",
                            "{\"level\":\"ERROR\",\"status\":503}"};
  for (size_t i = 0; i < records.size(); i++) {
    records[i].log_group = "/fuzz";
    records[i].log_stream = i % 2 ? "a" : "b";
    records[i].timestamp_ms = 1'700'000'000'000 + static_cast<int64_t>(i) * 61'000;
    records[i].message = messages[i];
    if (i == 2) records[i].fields = fields;
  }

  auto pattern = parse_filter_pattern(text);
  if (pattern.ok()) {
    for (const auto& r : records) (void)pattern->matches(r);
  }

  auto query = parse_query(text);
  if (!query.ok()) {
    if (query.status().message().empty()) std::abort();
    return 0;
  }
  (void)scan_hints(*query);
  ExecOptions options;
  options.max_rows = 5;
  options.max_groups = 4;
  options.max_values = 8;
  options.max_pattern_lines = 8;
  Execution exec(*query, options);
  for (const auto& r : records) {
    if (!exec.add(r).ok() || exec.done_early()) break;
  }
  ResultTable snap = exec.snapshot();
  ResultTable fin = exec.finish();
  if (exec.status().ok() && (snap.rows != fin.rows || snap.columns != fin.columns)) std::abort();
  for (const auto& row : fin.rows) {
    if (row.size() != fin.columns.size()) std::abort();
  }
  if (fin.rows.size() > options.max_rows) std::abort();
  return 0;
}
