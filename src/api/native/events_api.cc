// Event endpoints (see events_api.h). PutEvents follows the EventBridge API reference
// ("PutEvents", "PutEventsRequestEntry", "PutEventsResultEntry").
#include "api/native/events_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <variant>
#include <vector>

#include "api/api_util.h"
#include "api/json_time.h"
#include "common/json_writer.h"
#include "events/change_event.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;

constexpr uint64_t kMaxBodyBytes = 1 << 20;
constexpr size_t kMaxChanges = 100;
constexpr size_t kMaxEntries = 10;              // PutEvents
constexpr size_t kMaxDetailBytes = 256 * 1024;  // PutEvents' entry size limit
constexpr size_t kMaxSourceChars = 256;         // PutEventsRequestEntry.Source
constexpr size_t kMaxDetailTypeChars = 128;     // PutEventsRequestEntry.DetailType
constexpr size_t kMaxResources = 100;
constexpr size_t kDefaultLimit = 1000;
constexpr int64_t kDefaultChangeWindowMs = 24LL * 3600 * 1000;

std::string_view error_code(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
      return "ValidationException";
    case Code::kNotFound:
      return "ResourceNotFoundException";
    case Code::kResourceExhausted:
      return "LimitExceededException";
    case Code::kUnavailable:
      return "ServiceUnavailableException";
    default:
      return "InternalException";
  }
}

HttpResponse error(const Status& st, int http_status = 0) {
  json::Writer w;
  w.begin_object().kv("code", error_code(st.code())).kv("message", st.message()).end_object();
  HttpResponse r =
      HttpResponse::json(http_status ? http_status : http_status_for(st.code()), w.take());
  if (r.status == 429 || r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// The request body parsed as JSON; an error response when it is too large or not JSON.
std::optional<HttpResponse> parse_body(const HttpRequest& req, dom::parser& parser,
                                       dom::element* doc) {
  if (req.body.size() > kMaxBodyBytes) {
    return error(Status::invalid_argument(fmt::format("request body is {} bytes > limit {} bytes",
                                                      req.body.size(), kMaxBodyBytes)),
                 413);
  }
  if (auto err = parser.parse(req.body).get(*doc)) {
    return error(Status::invalid_argument(
        fmt::format("request body is not valid JSON: {}", simdjson::error_message(err))));
  }
  return std::nullopt;
}

Result<size_t> limit_param(const HttpRequest& req) {
  std::string_view v = req.param("limit");
  if (v.empty()) return kDefaultLimit;
  size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 1 || n > 10000) {
    return Status::invalid_argument(
        fmt::format("parameter limit=\"{}\" is not an integer in 1..10000", v));
  }
  return n;
}

size_t char_count(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// --- change events ----------------------------------------------------------------------------

struct Rejection {
  size_t index;
  Status status;
};

HttpResponse post_changes(const EventsDeps& d, HttpRequest& req) {
  dom::parser parser;
  dom::element doc;
  if (auto bad = parse_body(req, parser, &doc)) return *bad;
  const int64_t now = d.clock->now_ms();
  std::vector<dom::element> items;
  dom::element changes;
  if (doc.is_object() && !doc["changes"].get(changes)) {
    dom::array arr;
    if (changes.get_array().get(arr)) {
      return error(Status::invalid_argument("changes: must be an array of change objects"));
    }
    if (arr.size() < 1 || arr.size() > kMaxChanges) {
      return error(Status::invalid_argument(
          fmt::format("changes: {} changes is not in 1..{} per request", arr.size(), kMaxChanges)));
    }
    for (dom::element e : arr) items.push_back(e);
  } else {
    items.push_back(doc);
  }

  const storage::Tenant tenant = request_tenant(req);
  std::vector<events::Event> good;
  std::vector<Rejection> rejected;
  for (size_t i = 0; i < items.size(); i++) {
    auto change = events::parse_change_event(simdjson::minify(items[i]), now);
    if (!change.ok()) {
      rejected.push_back({i, change.status()});
      continue;
    }
    good.push_back(events::change_to_event(tenant, *change));
  }
  if (Status st = d.store->put(good); !st.ok()) return error(st);

  json::Writer w;
  w.begin_object();
  if (good.empty()) {
    const Rejection& first = rejected.front();
    const std::string message =
        items.size() == 1 ? first.status.message()
                          : fmt::format("changes[{}]: {}", first.index, first.status.message());
    w.kv("code", error_code(first.status.code())).kv("message", message);
  }
  w.key("ids").begin_array();
  for (const auto& e : good) w.value(e.id);
  w.end_array();
  w.key("rejected").begin_array();
  for (const auto& r : rejected) {
    w.begin_object()
        .kv("index", static_cast<uint64_t>(r.index))
        .kv("code", error_code(r.status.code()))
        .kv("message", r.status.message())
        .end_object();
  }
  w.end_array().end_object();
  return HttpResponse::json(good.empty() ? 400 : 200, w.take());
}

HttpResponse get_changes(const EventsDeps& d, HttpRequest& req) {
  const int64_t now = d.clock->now_ms();
  auto start = time_param(req, "start", now - kDefaultChangeWindowMs, now);
  if (!start.ok()) return error(start.status());
  auto end = time_param(req, "end", std::numeric_limits<int64_t>::max(), now);
  if (!end.ok()) return error(end.status());
  auto limit = limit_param(req);
  if (!limit.ok()) return error(limit.status());
  auto changes = events::list_changes(*d.store, request_tenant(req), *start, *end,
                                      req.param("service"), *limit);
  if (!changes.ok()) return error(changes.status());
  std::string body = R"({"changes":[)";
  for (size_t i = 0; i < changes->size(); i++) {
    if (i) body += ',';
    body += events::change_event_json((*changes)[i]);
  }
  body += "]}";
  return HttpResponse::json(200, std::move(body));
}

// --- PutEvents --------------------------------------------------------------------------------

struct EntryError {
  std::string_view code;  // PutEventsResultEntry.ErrorCode
  std::string message;
};

// A string member of a PutEvents entry, 1..max characters.
Result<std::string> entry_string(dom::object entry, std::string_view field, size_t max) {
  dom::element e;
  if (entry[field].get(e)) return Status::invalid_argument(fmt::format("{}: is required", field));
  std::string_view s;
  if (e.get_string().get(s)) {
    return Status::invalid_argument(fmt::format("{}: must be a string", field));
  }
  if (s.empty() || char_count(s) > max) {
    return Status::invalid_argument(fmt::format("{}: must be 1..{} characters", field, max));
  }
  return std::string(s);
}

// One PutEvents entry as an event, or why not.
std::variant<events::Event, EntryError> read_entry(dom::element item, const storage::Tenant& tenant,
                                                   int64_t now) {
  auto invalid = [](const Status& st) { return EntryError{"InvalidArgument", st.message()}; };
  dom::object entry;
  if (item.get_object().get(entry)) {
    return EntryError{"InvalidArgument", "entry: must be an object"};
  }
  auto source = entry_string(entry, "Source", kMaxSourceChars);
  if (!source.ok()) return invalid(source.status());
  auto detail_type = entry_string(entry, "DetailType", kMaxDetailTypeChars);
  if (!detail_type.ok()) return invalid(detail_type.status());

  dom::element detail_el;
  std::string_view detail;
  if (entry["Detail"].get(detail_el)) return EntryError{"InvalidArgument", "Detail: is required"};
  if (detail_el.get_string().get(detail)) {
    return EntryError{"MalformedDetail", "Detail: must be a string holding a JSON object"};
  }
  if (detail.size() > kMaxDetailBytes) {
    return EntryError{"InvalidArgument", fmt::format("Detail: {} bytes is over the limit of {}",
                                                     detail.size(), kMaxDetailBytes)};
  }

  int64_t time_ms = now;
  dom::element time_el;
  if (!entry["Time"].get(time_el)) {
    auto t = json_time_ms(time_el, "Time", now);
    if (!t.ok()) return invalid(t.status());
    time_ms = *t;
  }

  std::vector<std::string> resources;
  dom::element res_el;
  if (!entry["Resources"].get(res_el)) {
    dom::array arr;
    if (res_el.get_array().get(arr)) {
      return EntryError{"InvalidArgument", "Resources: must be an array of strings"};
    }
    if (arr.size() > kMaxResources) {
      return EntryError{"InvalidArgument", fmt::format("Resources: {} is over the limit of {}",
                                                       arr.size(), kMaxResources)};
    }
    for (dom::element r : arr) {
      std::string_view s;
      if (r.get_string().get(s) || s.empty()) {
        return EntryError{"InvalidArgument", "Resources: must be an array of non-empty strings"};
      }
      resources.emplace_back(s);
    }
  }

  if (*source == events::kChangeSource && *detail_type == events::kChangeDetailType) {
    // The event-bus path of a change: the same rules as POST /api/v1/events/change.
    auto change = events::parse_change_event(detail, now, time_ms);
    if (!change.ok()) {
      const bool malformed = change.status().message().rfind("change: ", 0) == 0;
      return EntryError{malformed ? "MalformedDetail" : "InvalidArgument",
                        change.status().message()};
    }
    events::Event ev = events::change_to_event(tenant, *change);
    for (auto& r : resources) {
      if (std::find(ev.resources.begin(), ev.resources.end(), r) == ev.resources.end()) {
        ev.resources.push_back(std::move(r));
      }
    }
    return ev;
  }

  dom::parser parser;
  dom::element detail_doc;
  if (parser.parse(detail.data(), detail.size()).get(detail_doc) || !detail_doc.is_object()) {
    return EntryError{"MalformedDetail", "Detail: must be a JSON object"};
  }
  events::Event ev;
  ev.id = events::new_event_id();
  ev.source = std::move(*source);
  ev.detail_type = std::move(*detail_type);
  ev.time_ms = time_ms;
  ev.tenant = tenant;
  ev.resources = std::move(resources);
  ev.detail_json = simdjson::minify(detail_doc);
  return ev;
}

HttpResponse put_events(const EventsDeps& d, HttpRequest& req) {
  dom::parser parser;
  dom::element doc;
  if (auto bad = parse_body(req, parser, &doc)) return *bad;
  dom::array entries;
  if (!doc.is_object() || doc["Entries"].get_array().get(entries)) {
    return error(Status::invalid_argument("Entries: is required (an array of 1..10 entries)"));
  }
  if (entries.size() < 1 || entries.size() > kMaxEntries) {
    return error(Status::invalid_argument(
        fmt::format("Entries: {} entries is not in 1..{}", entries.size(), kMaxEntries)));
  }
  const storage::Tenant tenant = request_tenant(req);
  const int64_t now = d.clock->now_ms();
  std::vector<std::variant<events::Event, EntryError>> results;
  std::vector<events::Event> good;
  for (dom::element item : entries) {
    results.push_back(read_entry(item, tenant, now));
    if (auto* ev = std::get_if<events::Event>(&results.back())) good.push_back(*ev);
  }
  if (Status st = d.store->put(good); !st.ok()) return error(st);

  json::Writer w;
  w.begin_object().kv("FailedEntryCount", static_cast<uint64_t>(results.size() - good.size()));
  w.key("Entries").begin_array();
  for (const auto& r : results) {
    w.begin_object();
    if (const auto* ev = std::get_if<events::Event>(&r)) {
      w.kv("EventId", ev->id);
    } else {
      const auto& e = std::get<EntryError>(r);
      w.kv("ErrorCode", e.code).kv("ErrorMessage", e.message);
    }
    w.end_object();
  }
  w.end_array().end_object();
  return HttpResponse::json(200, w.take());
}

HttpResponse list_events(const EventsDeps& d, HttpRequest& req) {
  const int64_t now = d.clock->now_ms();
  events::EventQuery q;
  auto start = time_param(req, "start", 0, now);
  if (!start.ok()) return error(start.status());
  auto end = time_param(req, "end", std::numeric_limits<int64_t>::max(), now);
  if (!end.ok()) return error(end.status());
  auto limit = limit_param(req);
  if (!limit.ok()) return error(limit.status());
  q.start_ms = *start;
  q.end_ms = *end;
  q.limit = *limit;
  q.source = std::string(req.param("source"));
  q.detail_type = std::string(req.param("detail-type"));
  q.next_token = std::string(req.param("next_token"));
  auto page = d.store->query(request_tenant(req), q);
  if (!page.ok()) return error(page.status());
  json::Writer w;
  w.begin_object().key("events").begin_array();
  for (const auto& e : page->events) w.raw(events::event_json(e));
  w.end_array();
  if (!page->next_token.empty()) w.kv("next_token", page->next_token);
  w.end_object();
  return HttpResponse::json(200, w.take());
}

}  // namespace

void register_events_api(Router& router, const EventsDeps& deps) {
  const EventsDeps d = deps;
  router.add("POST", "/api/v1/events/change",
             [d](HttpRequest& req) { return post_changes(d, req); });
  router.add("GET", "/api/v1/events/change", [d](HttpRequest& req) { return get_changes(d, req); });
  router.add("POST", "/api/v1/events", [d](HttpRequest& req) { return put_events(d, req); });
  router.add("GET", "/api/v1/events", [d](HttpRequest& req) { return list_events(d, req); });
}

}  // namespace opsight::api
