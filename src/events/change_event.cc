// Change events (see change_event.h for the JSON and the rules; docs/events.md for users).
#include "events/change_event.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::events {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kMaxService = 255;
constexpr size_t kMaxVersion = 255;
constexpr size_t kMaxAuthor = 255;
constexpr size_t kMaxDescription = 4096;
constexpr size_t kMaxAttributes = 50;
constexpr size_t kMaxAttributeKey = 128;
constexpr size_t kMaxAttributeValue = 1024;
constexpr size_t kMaxId = 128;
constexpr int64_t kMaxPastMs = 14LL * 24 * 3600 * 1000;
constexpr int64_t kMaxFutureMs = 2LL * 3600 * 1000;

constexpr std::array<std::string_view, 4> kKinds = {"deploy", "config", "scale", "flag"};
constexpr std::string_view kFields =
    "id, service, kind, version, author, description, time, attributes";

// Characters (Unicode code points) of valid UTF-8: every byte that does not continue one.
size_t char_count(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

Status check_length(std::string_view field, std::string_view s, size_t max) {
  const size_t n = char_count(s);
  if (n > max) {
    return Status::invalid_argument(
        fmt::format("{}: {} characters is over the limit of {}", field, n, max));
  }
  return OkStatus();
}

Result<std::string> string_field(dom::element e, std::string_view field, size_t max) {
  std::string_view s;
  if (e.get_string().get(s)) {
    return Status::invalid_argument(fmt::format("{}: must be a string", field));
  }
  RETURN_IF_ERROR(check_length(field, s, max));
  return std::string(s);
}

Result<int64_t> time_field(dom::element e, int64_t now_ms) {
  int64_t ms = 0;
  double d = 0;
  std::string_view s;
  if (e.get_int64().get(ms) == simdjson::SUCCESS) return ms;
  if (e.get_double().get(d) == simdjson::SUCCESS) {
    if (!std::isfinite(d) || std::abs(d) > 9e15) {
      return Status::invalid_argument("time: is not a time in Unix milliseconds");
    }
    return static_cast<int64_t>(std::llround(d));
  }
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    auto t = parse_time_flexible_ms(s, now_ms);
    if (!t.ok()) {
      return Status::invalid_argument(fmt::format(
          "time: \"{}\" is not Unix milliseconds, an RFC 3339 time or now-<duration>", s));
    }
    return *t;
  }
  return Status::invalid_argument("time: must be Unix milliseconds (a number) or a time string");
}

Status check_window(int64_t time_ms, int64_t now_ms) {
  if (time_ms < now_ms - kMaxPastMs) {
    return Status::invalid_argument(
        fmt::format("time: {} is more than 14 days in the past", format_rfc3339_ms(time_ms)));
  }
  if (time_ms > now_ms + kMaxFutureMs) {
    return Status::invalid_argument(
        fmt::format("time: {} is more than 2 hours in the future", format_rfc3339_ms(time_ms)));
  }
  return OkStatus();
}

Status check_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxId) {
    return Status::invalid_argument(fmt::format("id: must be 1..{} characters", kMaxId));
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) {
      return Status::invalid_argument(
          fmt::format("id: \"{}\" may hold only letters, digits and - _ . :", id));
    }
  }
  return OkStatus();
}

Status parse_attributes(dom::element e, std::map<std::string, std::string>* out) {
  dom::object obj;
  if (e.get_object().get(obj)) {
    return Status::invalid_argument("attributes: must be an object of string values");
  }
  if (obj.size() > kMaxAttributes) {
    return Status::invalid_argument(
        fmt::format("attributes: {} entries is over the limit of {}", obj.size(), kMaxAttributes));
  }
  for (auto [key, value] : obj) {
    if (key.empty()) return Status::invalid_argument("attributes: a key is empty");
    if (char_count(key) > kMaxAttributeKey) {
      return Status::invalid_argument(
          fmt::format("attributes: key \"{}...\" is over the limit of {} characters",
                      key.substr(0, 32), kMaxAttributeKey));
    }
    const std::string field = fmt::format("attributes.{}", key);
    ASSIGN_OR_RETURN(std::string v, string_field(value, field, kMaxAttributeValue));
    (*out)[std::string(key)] = std::move(v);
  }
  return OkStatus();
}

// The fields of a change object. `time` is read when `read_time`; *has_time tells whether the
// object had one.
Status parse_fields(dom::object obj, bool read_time, int64_t now_ms, ChangeEvent* c,
                    bool* has_time) {
  *has_time = false;
  bool has_service = false, has_kind = false;
  for (auto [key, value] : obj) {
    if (key == "service") {
      ASSIGN_OR_RETURN(c->service, string_field(value, key, kMaxService));
      has_service = true;
    } else if (key == "kind") {
      std::string_view k;
      if (value.get_string().get(k)) return Status::invalid_argument("kind: must be a string");
      if (std::find(kKinds.begin(), kKinds.end(), k) == kKinds.end()) {
        return Status::invalid_argument(
            fmt::format("kind: \"{}\" is not one of deploy, config, scale, flag", k.substr(0, 64)));
      }
      c->kind = std::string(k);
      has_kind = true;
    } else if (key == "version") {
      ASSIGN_OR_RETURN(c->version, string_field(value, key, kMaxVersion));
    } else if (key == "author") {
      ASSIGN_OR_RETURN(c->author, string_field(value, key, kMaxAuthor));
    } else if (key == "description") {
      ASSIGN_OR_RETURN(c->description, string_field(value, key, kMaxDescription));
    } else if (key == "attributes") {
      RETURN_IF_ERROR(parse_attributes(value, &c->attributes));
    } else if (key == "id") {
      ASSIGN_OR_RETURN(c->id, string_field(value, key, kMaxId));
      RETURN_IF_ERROR(check_id(c->id));
    } else if (key == "time") {
      if (read_time) {
        ASSIGN_OR_RETURN(c->time_ms, time_field(value, now_ms));
        *has_time = true;
      }
    } else {
      return Status::invalid_argument(
          fmt::format("field \"{}\" is not known; fields are {}", key.substr(0, 64), kFields));
    }
  }
  if (!has_service || c->service.empty()) {
    return Status::invalid_argument(
        fmt::format("service: is required (1..{} characters)", kMaxService));
  }
  if (has_control(c->service)) {
    return Status::invalid_argument("service: must not hold control characters");
  }
  if (!has_kind) {
    return Status::invalid_argument("kind: is required (one of deploy, config, scale, flag)");
  }
  return OkStatus();
}

Result<dom::object> parse_object(dom::parser& parser, std::string_view json,
                                 std::string_view what) {
  dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc)) {
    return Status::invalid_argument(
        fmt::format("{}: not valid JSON: {}", what, simdjson::error_message(err)));
  }
  dom::object obj;
  if (doc.get_object().get(obj)) {
    return Status::invalid_argument(fmt::format("{}: must be a JSON object", what));
  }
  return obj;
}

// The change's fields as JSON members (without the braces' owner), in the native shape.
void write_fields(json::Writer& w, const ChangeEvent& c) {
  w.kv("service", c.service).kv("kind", c.kind);
  if (!c.version.empty()) w.kv("version", c.version);
  if (!c.author.empty()) w.kv("author", c.author);
  if (!c.description.empty()) w.kv("description", c.description);
  if (!c.attributes.empty()) {
    w.key("attributes").begin_object();
    for (const auto& [k, v] : c.attributes) w.kv(k, v);
    w.end_object();
  }
}

}  // namespace

Result<ChangeEvent> parse_change_event(std::string_view json, int64_t now_ms) {
  return parse_change_event(json, now_ms, now_ms);
}

Result<ChangeEvent> parse_change_event(std::string_view json, int64_t now_ms,
                                       int64_t default_time_ms) {
  dom::parser parser;
  ASSIGN_OR_RETURN(dom::object obj, parse_object(parser, json, "change"));
  ChangeEvent c;
  bool has_time = false;
  RETURN_IF_ERROR(parse_fields(obj, /*read_time=*/true, now_ms, &c, &has_time));
  if (!has_time) c.time_ms = default_time_ms;
  RETURN_IF_ERROR(check_window(c.time_ms, now_ms));
  return c;
}

std::string change_event_json(const ChangeEvent& change) {
  json::Writer w;
  w.begin_object();
  if (!change.id.empty()) w.kv("id", change.id);
  write_fields(w, change);
  w.kv("time", change.time_ms);
  w.end_object();
  return w.take();
}

Event change_to_event(const storage::Tenant& tenant, const ChangeEvent& change) {
  Event e;
  e.id = change.id.empty() ? new_event_id() : change.id;
  e.source = std::string(kChangeSource);
  e.detail_type = std::string(kChangeDetailType);
  e.time_ms = change.time_ms;
  e.tenant = tenant;
  e.resources.push_back("service/" + change.service);
  json::Writer w;
  w.begin_object();
  write_fields(w, change);
  w.end_object();
  e.detail_json = w.take();
  return e;
}

Result<ChangeEvent> change_from_event(const Event& event) {
  if (event.source != kChangeSource || event.detail_type != kChangeDetailType) {
    return Status::invalid_argument(fmt::format(
        "event {}: source \"{}\" / detail-type \"{}\" is not a change event (\"{}\" / \"{}\")",
        event.id, event.source, event.detail_type, kChangeSource, kChangeDetailType));
  }
  dom::parser parser;
  auto obj = parse_object(parser, event.detail_json, "detail");
  if (!obj.ok()) return obj.status().with_prefix(fmt::format("event {}", event.id));
  ChangeEvent c;
  bool has_time = false;
  Status st = parse_fields(*obj, /*read_time=*/false, 0, &c, &has_time);
  if (!st.ok()) return st.with_prefix(fmt::format("event {}: detail", event.id));
  c.id = event.id;
  c.time_ms = event.time_ms;
  return c;
}

Result<std::vector<ChangeEvent>> list_changes(const EventStore& store,
                                              const storage::Tenant& tenant, int64_t start_ms,
                                              int64_t end_ms, std::string_view service,
                                              size_t limit) {
  std::vector<ChangeEvent> out;
  EventQuery q;
  q.start_ms = start_ms;
  q.end_ms = end_ms;
  q.source = std::string(kChangeSource);
  q.detail_type = std::string(kChangeDetailType);
  q.limit = std::clamp<size_t>(limit, 1, 10000);
  while (out.size() < limit) {
    ASSIGN_OR_RETURN(EventPage page, store.query(tenant, q));
    for (const Event& e : page.events) {
      auto c = change_from_event(e);
      // Every stored change was validated on its way in; an event that does not parse (written
      // by a future version, say) is skipped rather than failing the whole list.
      if (!c.ok()) continue;
      if (!service.empty() && c->service != service) continue;
      out.push_back(std::move(*c));
      if (out.size() >= limit) break;
    }
    if (page.next_token.empty()) break;
    q.next_token = std::move(page.next_token);
  }
  return out;
}

}  // namespace opsight::events
