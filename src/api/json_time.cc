#include "api/json_time.h"

#include <fmt/format.h>

#include <cmath>

#include "common/time_util.h"

namespace opsight::api {

Result<int64_t> json_time_ms(simdjson::dom::element e, std::string_view field, int64_t now_ms) {
  double secs = 0;
  if (e.get_double().get(secs) == simdjson::SUCCESS) {
    if (!std::isfinite(secs) || std::abs(secs) > 1e11) {
      return Status::invalid_argument(fmt::format("\"{}\" is not a time in Unix seconds", field));
    }
    return static_cast<int64_t>(std::llround(secs * 1000));
  }
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    auto t = parse_time_flexible_ms(s, now_ms);
    if (!t.ok()) return t.status().with_prefix(fmt::format("\"{}\"", field));
    return t;
  }
  return Status::invalid_argument(
      fmt::format("\"{}\" must be Unix seconds (a number) or a time string", field));
}

}  // namespace opsight::api
