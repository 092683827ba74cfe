// The EventBridge envelope as JSON (EventBridge user guide, "Amazon EventBridge events") and
// random v4 UUIDs (RFC 9562 section 5.4: 122 random bits, version nibble 4, variant bits 10).
#include "events/event.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <random>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::events {
namespace {

namespace dom = simdjson::dom;

// "2024-01-02T03:04:05Z": second precision, as EventBridge writes "time".
std::string format_time_seconds(int64_t ms) {
  std::string s = format_rfc3339_ms(ms);  // "...T03:04:05.123Z"
  const size_t dot = s.rfind('.');
  if (dot != std::string::npos) s.erase(dot, s.size() - 1 - dot);
  return s;
}

Result<std::string> required_string(dom::object obj, std::string_view field) {
  dom::element e;
  if (obj[field].get(e)) return Status::invalid_argument(fmt::format("{}: is required", field));
  std::string_view s;
  if (e.get_string().get(s)) {
    return Status::invalid_argument(fmt::format("{}: must be a string", field));
  }
  if (s.empty()) return Status::invalid_argument(fmt::format("{}: must not be empty", field));
  return std::string(s);
}

// An optional string field: `def` when absent.
Result<std::string> optional_string(dom::object obj, std::string_view field, std::string_view def) {
  dom::element e;
  if (obj[field].get(e)) return std::string(def);
  std::string_view s;
  if (e.get_string().get(s)) {
    return Status::invalid_argument(fmt::format("{}: must be a string", field));
  }
  return s.empty() ? std::string(def) : std::string(s);
}

// A per-thread engine seeded from the OS CSPRNG (std::random_device reads getrandom/urandom on
// Linux with libstdc++), so ids from threads and processes do not collide.
std::mt19937_64& engine() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::array<std::random_device::result_type, 8> seed{};
    for (auto& s : seed) s = rd();
    std::seed_seq seq(seed.begin(), seed.end());
    return std::mt19937_64(seq);
  }();
  return gen;
}

}  // namespace

std::string event_json(const Event& event) {
  json::Writer w(128 + event.detail_json.size());
  w.begin_object();
  w.kv("version", "0");
  w.kv("id", event.id);
  w.kv("detail-type", event.detail_type);
  w.kv("source", event.source);
  w.kv("account", event.tenant.account);
  w.kv("time", format_time_seconds(event.time_ms));
  w.kv("region", event.tenant.region);
  w.key("resources").begin_array();
  for (const auto& r : event.resources) w.value(r);
  w.end_array();
  w.key("detail").raw(event.detail_json.empty() ? std::string_view("{}")
                                                : std::string_view(event.detail_json));
  w.end_object();
  return w.take();
}

Result<Event> parse_event_json(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc)) {
    return Status::invalid_argument(
        fmt::format("event: not valid JSON: {}", simdjson::error_message(err)));
  }
  dom::object obj;
  if (doc.get_object().get(obj)) return Status::invalid_argument("event: must be a JSON object");
  Event ev;
  ASSIGN_OR_RETURN(ev.id, required_string(obj, "id"));
  ASSIGN_OR_RETURN(ev.source, required_string(obj, "source"));
  ASSIGN_OR_RETURN(ev.detail_type, required_string(obj, "detail-type"));
  ASSIGN_OR_RETURN(std::string time, required_string(obj, "time"));
  auto t = parse_time_ms(time);
  if (!t.ok() || time.find('T') == std::string::npos) {
    return Status::invalid_argument(fmt::format("time: \"{}\" is not an RFC 3339 time", time));
  }
  ev.time_ms = *t;
  ASSIGN_OR_RETURN(ev.tenant.account, optional_string(obj, "account", storage::kDefaultAccount));
  ASSIGN_OR_RETURN(ev.tenant.region, optional_string(obj, "region", storage::kDefaultRegion));
  dom::element resources;
  if (!obj["resources"].get(resources)) {
    dom::array arr;
    if (resources.get_array().get(arr)) {
      return Status::invalid_argument("resources: must be an array of strings");
    }
    size_t i = 0;
    for (dom::element r : arr) {
      std::string_view s;
      if (r.get_string().get(s)) {
        return Status::invalid_argument(fmt::format("resources[{}]: must be a string", i));
      }
      ev.resources.emplace_back(s);
      i++;
    }
  }
  dom::element detail;
  if (obj["detail"].get(detail)) {
    ev.detail_json = "{}";
  } else {
    if (!detail.is_object()) return Status::invalid_argument("detail: must be a JSON object");
    ev.detail_json = simdjson::minify(detail);
  }
  return ev;
}

std::string new_event_id() {
  std::mt19937_64& gen = engine();
  uint64_t hi = gen();
  uint64_t lo = gen();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                         // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

}  // namespace opsight::events
