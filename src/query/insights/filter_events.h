#pragma once
// FilterLogEvents (CloudWatch Logs API reference, API_FilterLogEvents.html): the events of one
// log group, optionally of chosen streams, in [start, end], that match a filter pattern
// (filter_pattern.h), oldest first, a page at a time. The native GET /api/v1/logs/filter and the
// AWS JSON 1.1 FilterLogEvents both call this.
//
// Paging: a page holds at most `limit` events; when more match, next_token is
// "<timestamp>:<events already returned at that timestamp>" and the next call with it resumes
// right after the last event returned. It relies on the store returning events of equal
// timestamps in the same order on every scan (true of the log store's block order).
//
// Thread safety: a pure function over a thread-safe LogStore.

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "query/insights/filter_pattern.h"
#include "storage/log_store.h"

namespace opsight::query::insights {

inline constexpr int64_t kFilterEventsMaxLimit = 10'000;

struct FilterEventsRequest {
  storage::Tenant tenant;
  std::string group;
  std::vector<std::string> streams;       // empty = every stream of the group
  int64_t start_ms = 0;                   // inclusive
  int64_t end_ms = 0;                     // inclusive
  int64_t limit = kFilterEventsMaxLimit;  // 1..kFilterEventsMaxLimit
  std::string next_token;                 // "" = from start_ms
};

struct FilteredEvent {
  std::string stream;
  int64_t timestamp_ms = 0;
  int64_t ingestion_time_ms = 0;
  std::string message;
  // Unique within the group: "<timestamp>-<ordinal among events of that timestamp>".
  std::string event_id;
};

struct FilterEventsResult {
  std::vector<FilteredEvent> events;
  std::string next_token;  // "" when the range is exhausted
  storage::LogScanStats stats;
};

// InvalidArgument for a bad limit or token, NotFound for an unknown group, and the scan's errors.
Result<FilterEventsResult> filter_log_events(storage::LogStore& store,
                                             const FilterEventsRequest& request,
                                             const FilterPattern& pattern);

}  // namespace opsight::query::insights
