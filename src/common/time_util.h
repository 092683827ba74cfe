#pragma once
// Parsing and formatting of times and durations as users write them.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight {

// Prometheus-style durations: "15s", "5m", "1h30m", "14d", "2w", "1y", "250ms"; a bare number is
// seconds. Returns milliseconds.
Result<int64_t> parse_duration_ms(std::string_view s);
// "1h30m"-style rendering of a millisecond duration.
std::string format_duration_ms(int64_t ms);

// A point in time as the Prometheus API accepts it: RFC 3339 ("2024-01-02T03:04:05.123Z",
// offsets allowed) or Unix seconds with an optional fraction ("1700000000.5"). Returns ms.
Result<int64_t> parse_time_ms(std::string_view s);
// Like parse_time_ms, but a bare integer of 13+ digits is taken as milliseconds (VictoriaMetrics
// export/import convention), and "now" / "now-1h" are accepted relative to now_ms.
Result<int64_t> parse_time_flexible_ms(std::string_view s, int64_t now_ms);
// RFC 3339 in UTC with milliseconds: "2024-01-02T03:04:05.123Z".
std::string format_rfc3339_ms(int64_t ms);

}  // namespace opsight
