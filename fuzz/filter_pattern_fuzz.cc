// Fuzz target: CloudWatch Logs filter patterns (query/insights/filter_pattern.h) as
// FilterLogEvents and metric filters use them. The first line is the pattern, every other line a
// log message (its JSON fields discovered as the store does). Invariants: parsing never crashes;
// matches() with and without space-field capture agree; captured fields are named and point
// into the message.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "query/insights/filter_pattern.h"
#include "storage/log_fields.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  auto pattern = query::insights::parse_filter_pattern(in.substr(0, nl));
  if (!pattern.ok() || nl == std::string_view::npos) return 0;
  std::string_view rest = in.substr(nl + 1);
  std::vector<query::insights::FilterPattern::SpaceField> space;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    std::string_view message = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    std::vector<storage::LogAttribute> discovered;
    storage::discover_fields(message, &discovered);
    std::vector<storage::LogField> fields;
    for (const auto& a : discovered) fields.push_back({a.key, a.value});
    storage::LogRecord rec;
    rec.message = message;
    rec.fields = fields;
    const bool plain = pattern->matches(rec);
    const bool captured = pattern->matches(rec, &space);
    if (plain != captured) std::abort();
    if (!captured && !space.empty()) std::abort();
    for (const auto& [name, value] : space) {
      if (name.empty()) std::abort();
      if (!value.empty() && (value.data() < message.data() ||
                             value.data() + value.size() > message.data() + message.size())) {
        std::abort();
      }
    }
  }
  return 0;
}
