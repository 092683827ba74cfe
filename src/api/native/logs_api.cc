#include "api/native/logs_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "api/api_util.h"
#include "api/log_group_ref.h"
#include "api/logs_ingest.h"
#include "common/json_writer.h"
#include "ingest/logs/log_writer.h"
#include "ingest/logs/loki_push.h"
#include "ingest/logs/ndjson_import.h"
#include "ingest/logs/otlp_logs_json.h"
#include "ingest/logs/otlp_logs_pb.h"
#include "ingest/logs/put_log_events.h"
#include "query/insights/filter_events.h"
#include "query/insights/filter_pattern.h"
#include "query/patterns/pattern_miner.h"

namespace opsight::api {
namespace {

using ingest::LogBatch;
using ingest::logs::LogWriteOutcome;

// CloudWatch Logs' exception names for our status codes.
std::string_view error_code(const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument:
      return "InvalidParameterException";
    case Code::kNotFound:
      return "ResourceNotFoundException";
    case Code::kAlreadyExists:
      return "ResourceAlreadyExistsException";
    case Code::kResourceExhausted:
      return "LimitExceededException";
    case Code::kUnavailable:
      return "ServiceUnavailableException";
    default:
      return "InternalFailure";
  }
}

HttpResponse error(const Status& st) {
  json::Writer w;
  w.begin_object().kv("code", error_code(st)).kv("message", st.message()).end_object();
  HttpResponse r = HttpResponse::json(http_status_for(st.code()), w.take());
  if (r.status == 429 || r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

constexpr std::string_view kLogBodyLimit = "limits.logs.max_request_bytes";

Result<std::string> body_of(const LogsDeps& d, const HttpRequest& req) {
  const uint64_t max = d.log_limits.max_request_bytes;
  return decoded_body(req, max, max, kLogBodyLimit);
}

Result<int> parse_int_param(const HttpRequest& req, std::string_view name, int def) {
  std::string_view v = req.param(name);
  if (v.empty()) return def;
  int out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) {
    return Status::invalid_argument(fmt::format("parameter {}=\"{}\" is not an integer", name, v));
  }
  return out;
}

Result<std::string> required_param(const HttpRequest& req, std::string_view name) {
  std::string_view v = req.param(name);
  if (v.empty()) return Status::invalid_argument(fmt::format("parameter \"{}\" is required", name));
  return std::string(v);
}

LogsIngestDeps ingest_deps(const LogsDeps& d) {
  return LogsIngestDeps{d.logs, d.metrics, d.metric_limits, d.metric_filters};
}

LogWriteOutcome write(const LogsDeps& d, const HttpRequest& req, LogBatch batch,
                      bool create_missing, std::string_view protocol) {
  return write_logs(ingest_deps(d), request_tenant(req), std::move(batch), create_missing,
                    protocol);
}

void write_errors(json::Writer& w, const std::vector<ingest::ItemError>& errors) {
  w.key("errors").begin_array();
  size_t n = std::min<size_t>(errors.size(), 1000);
  for (size_t i = 0; i < n; i++) {
    w.begin_object().kv("item", errors[i].item).kv("message", errors[i].message).end_object();
  }
  w.end_array();
  if (errors.size() > n) w.kv("errorsOmitted", static_cast<uint64_t>(errors.size() - n));
}

// --- ingest ---------------------------------------------------------------------------------

HttpResponse put_log_events(const LogsDeps& d, HttpRequest& req) {
  auto body = body_of(d, req);
  if (!body.ok()) return error(body.status());
  auto out = api::put_log_events(ingest_deps(d), request_tenant(req), *body, d.clock->now_ms(),
                                 "put_log_events", /*extract_emf=*/true);
  if (!out.ok()) return error(out.status());
  return HttpResponse::json(
      200, ingest::logs::encode_put_log_events_response(out->next_sequence_token, out->rejected));
}

HttpResponse otlp_logs(const LogsDeps& d, HttpRequest& req) {
  auto body = body_of(d, req);
  if (!body.ok()) return error(body.status());
  LogBatch batch;
  ingest::logs::OtlpLogsResult result;
  const bool json = is_json(req);
  const int64_t now = d.clock->now_ms();
  Status st = json ? ingest::logs::decode_logs_json(*body, now, d.log_limits, &batch, &result)
                   : ingest::logs::decode_logs_protobuf(*body, now, d.log_limits, &batch, &result);
  if (!st.ok()) return error(st);
  size_t decode_errors = batch.errors.size();
  auto out = write(d, req, std::move(batch), true, "otlp");
  if (!out.status.ok()) return error(out.status);
  for (size_t i = decode_errors; i < out.errors.size(); i++) {
    result.rejected_log_records++;
    if (result.error_message.empty()) {
      result.error_message = out.errors[i].item + ": " + out.errors[i].message;
    }
  }
  HttpResponse r;
  r.status = 200;
  r.content_type = json ? "application/json" : "application/x-protobuf";
  r.body = json ? ingest::logs::encode_logs_response_json(result)
                : ingest::logs::encode_logs_response_protobuf(result);
  return r;
}

HttpResponse loki_push(const LogsDeps& d, HttpRequest& req) {
  LogBatch batch;
  Status st;
  if (is_json(req)) {
    auto body = body_of(d, req);
    if (!body.ok()) return error(body.status());
    st = ingest::logs::decode_loki_push_json(*body, d.log_limits, &batch);
  } else {
    // The protobuf form is snappy-compressed by definition (the decoder inflates it).
    if (Status size = check_body_size(req, d.log_limits.max_request_bytes, kLogBodyLimit);
        !size.ok()) {
      return error(size);
    }
    st = ingest::logs::decode_loki_push_protobuf(req.body, d.log_limits, &batch);
  }
  if (!st.ok()) return error(st);
  auto out = write(d, req, std::move(batch), true, "loki");
  if (!out.status.ok()) return error(out.status);
  if (out.errors.empty()) return HttpResponse::no_content();
  // Loki answers a partly bad push with 400 and the reasons; the valid entries are stored.
  std::string text =
      fmt::format("{} entries stored, {} rejected:\n", out.accepted_events, out.errors.size());
  for (size_t i = 0; i < std::min<size_t>(out.errors.size(), 20); i++) {
    text += out.errors[i].item + ": " + out.errors[i].message + "\n";
  }
  return HttpResponse::text(400, std::move(text));
}

HttpResponse import(const LogsDeps& d, HttpRequest& req) {
  auto group = required_param(req, "group");
  if (!group.ok()) return error(group.status());
  auto stream = required_param(req, "stream");
  if (!stream.ok()) return error(stream.status());
  auto retention = log_group_retention(*d.logs, request_tenant(req), *group);
  if (!retention.ok()) return error(retention.status());
  auto body = body_of(d, req);
  if (!body.ok()) return error(body.status());
  LogBatch batch;
  Status st = ingest::logs::decode_ndjson_import(*body, *group, *stream, d.clock->now_ms(),
                                                 *retention, d.log_limits, &batch);
  if (!st.ok()) return error(st);
  auto out = write(d, req, std::move(batch), true, "import");
  if (!out.status.ok()) return error(out.status);
  json::Writer w;
  w.begin_object().kv("acceptedEvents", out.accepted_events);
  w.kv("rejectedEvents", static_cast<uint64_t>(out.errors.size()));
  write_errors(w, out.errors);
  w.end_object();
  return HttpResponse::json(out.errors.empty() ? 200 : 400, w.take());
}

// --- management -----------------------------------------------------------------------------

HttpResponse ok_empty() {
  return HttpResponse::json(200, "{}");
}

HttpResponse list_groups(const LogsDeps& d, HttpRequest& req) {
  auto groups = d.logs->describe_groups(request_tenant(req), req.param("prefix"));
  if (!groups.ok()) return error(groups.status());
  json::Writer w;
  w.begin_object().key("logGroups").begin_array();
  for (const auto& g : *groups) {
    w.begin_object().kv("logGroupName", g.name).kv("creationTime", g.creation_time_ms);
    if (g.retention_days != 0) w.kv("retentionInDays", static_cast<int64_t>(g.retention_days));
    w.kv("storedBytes", g.stored_bytes);
    w.key("indexedFields").begin_array();
    for (const auto& f : g.indexed_fields) w.value(f);
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return HttpResponse::json(200, w.take());
}

HttpResponse create_group(const LogsDeps& d, HttpRequest& req) {
  auto name = required_param(req, "name");
  if (!name.ok()) return error(name.status());
  auto retention = parse_int_param(req, "retention", 0);
  if (!retention.ok()) return error(retention.status());
  if (std::string r = ingest::check_log_group_name(*name); !r.empty()) {
    return error(Status::invalid_argument(r));
  }
  Status st = d.logs->create_group(request_tenant(req), *name, *retention);
  return st.ok() ? ok_empty() : error(st);
}

HttpResponse delete_group(const LogsDeps& d, HttpRequest& req) {
  auto name = required_param(req, "name");
  if (!name.ok()) return error(name.status());
  Status st = d.logs->delete_group(request_tenant(req), *name);
  return st.ok() ? ok_empty() : error(st);
}

HttpResponse put_retention(const LogsDeps& d, HttpRequest& req) {
  auto name = required_param(req, "name");
  if (!name.ok()) return error(name.status());
  auto days = parse_int_param(req, "days", -1);
  if (!days.ok()) return error(days.status());
  if (*days < 0) return error(Status::invalid_argument("parameter \"days\" is required"));
  Status st = d.logs->put_retention(request_tenant(req), *name, *days);
  return st.ok() ? ok_empty() : error(st);
}

HttpResponse list_streams(const LogsDeps& d, HttpRequest& req) {
  auto group = required_param(req, "group");
  if (!group.ok()) return error(group.status());
  auto streams = d.logs->describe_streams(request_tenant(req), *group, req.param("prefix"));
  if (!streams.ok()) return error(streams.status());
  json::Writer w;
  w.begin_object().key("logStreams").begin_array();
  for (const auto& s : *streams) {
    w.begin_object().kv("logStreamName", s.name).kv("creationTime", s.creation_time_ms);
    if (s.last_event_ms != 0) {
      w.kv("firstEventTimestamp", s.first_event_ms).kv("lastEventTimestamp", s.last_event_ms);
      w.kv("lastIngestionTime", s.last_ingestion_ms);
    }
    w.kv("storedBytes", s.stored_bytes).end_object();
  }
  w.end_array().end_object();
  return HttpResponse::json(200, w.take());
}

HttpResponse create_stream(const LogsDeps& d, HttpRequest& req) {
  auto group = required_param(req, "group");
  if (!group.ok()) return error(group.status());
  auto name = required_param(req, "name");
  if (!name.ok()) return error(name.status());
  if (std::string r = ingest::check_log_stream_name(*name); !r.empty()) {
    return error(Status::invalid_argument(r));
  }
  Status st = d.logs->create_stream(request_tenant(req), *group, *name);
  return st.ok() ? ok_empty() : error(st);
}

HttpResponse delete_stream(const LogsDeps& d, HttpRequest& req) {
  auto group = required_param(req, "group");
  if (!group.ok()) return error(group.status());
  auto name = required_param(req, "name");
  if (!name.ok()) return error(name.status());
  Status st = d.logs->delete_stream(request_tenant(req), *group, *name);
  return st.ok() ? ok_empty() : error(st);
}

// --- query ----------------------------------------------------------------------------------

// Log groups from repeated `group` parameters, each possibly comma-separated.
std::vector<std::string> group_params(const HttpRequest& req) {
  std::vector<std::string> out;
  for (std::string_view v : req.params_named("group")) {
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view g = v.substr(0, comma);
      if (!g.empty()) out.emplace_back(g);
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return out;
}

// [start, end] from the parameters; the default range is the last hour.
Status time_range(const LogsDeps& d, const HttpRequest& req, int64_t* start, int64_t* end) {
  const int64_t now = d.clock->now_ms();
  ASSIGN_OR_RETURN(*start, time_param(req, "start", now - 3'600'000, now));
  ASSIGN_OR_RETURN(*end, time_param(req, "end", now, now));
  if (*end < *start) {
    return Status::invalid_argument(fmt::format("end {} is before start {}", *end, *start));
  }
  return OkStatus();
}

void write_state(json::Writer& w, const query::insights::QueryState& s) {
  w.begin_object()
      .kv("queryId", s.id)
      .kv("status", query::insights::status_name(s.status))
      .kv("queryString", s.request.query)
      .kv("createTime", s.create_time_ms);
  w.key("logGroupNames").begin_array();
  for (const auto& g : s.request.groups) w.value(g);
  for (const auto& g : s.request.account_groups) {
    w.value(g.tenant == s.request.tenant ? g.name : log_group_arn_of(g.tenant, g.name));
  }
  w.end_array();
  w.key("statistics")
      .begin_object()
      .kv("recordsMatched", s.statistics.records_matched)
      .kv("recordsScanned", s.statistics.records_scanned)
      .kv("bytesScanned", s.statistics.bytes_scanned)
      .end_object();
  if (!s.error.empty()) w.kv("error", s.error);
}

HttpResponse start_query(const LogsDeps& d, HttpRequest& req) {
  query::insights::QueryRequest q;
  q.tenant = request_tenant(req);
  // Groups may be log group ARNs of linked source accounts (api/log_group_ref.h): then the query
  // is cross-account and its rows carry @aws.account / @aws.region.
  std::vector<LogGroupRef> refs;
  for (const auto& g : group_params(req)) {
    auto ref = readable_log_group(req, g);
    if (!ref.ok()) return error(ref.status());
    refs.push_back(std::move(*ref));
  }
  const bool cross_account = std::any_of(
      refs.begin(), refs.end(), [&](const LogGroupRef& r) { return r.tenant != q.tenant; });
  for (auto& r : refs) {
    if (cross_account) {
      q.account_groups.push_back({std::move(r.tenant), std::move(r.name)});
    } else {
      q.groups.push_back(std::move(r.name));
    }
  }
  q.query = std::string(req.param("query"));
  if (Status st = time_range(d, req, &q.start_ms, &q.end_ms); !st.ok()) return error(st);
  auto limit = parse_int_param(req, "limit", 0);
  if (!limit.ok()) return error(limit.status());
  if (*limit < 0) return error(Status::invalid_argument("parameter \"limit\" must be positive"));
  q.limit = static_cast<size_t>(*limit);
  auto id = d.queries->start(std::move(q));
  if (!id.ok()) return error(id.status());
  json::Writer w;
  w.begin_object().kv("queryId", *id).end_object();
  return HttpResponse::json(200, w.take());
}

HttpResponse get_query(const LogsDeps& d, HttpRequest& req) {
  const std::string& id = req.path_params["id"];
  auto wait_s = parse_int_param(req, "wait", 0);
  if (!wait_s.ok()) return error(wait_s.status());
  // ?wait=N blocks up to N seconds (at most 60) for the query to finish.
  auto s = *wait_s > 0
               ? d.queries->wait(request_tenant(req), id, std::min<int64_t>(*wait_s, 60) * 1000)
               : d.queries->get(request_tenant(req), id);
  if (!s.ok()) return error(s.status());
  json::Writer w;
  write_state(w, *s);
  w.key("results").begin_array();
  for (const auto& row : s->results.rows) {
    w.begin_array();
    for (size_t i = 0; i < row.size() && i < s->results.columns.size(); i++) {
      if (!row[i]) continue;
      w.begin_object().kv("field", s->results.columns[i]).kv("value", *row[i]).end_object();
    }
    w.end_array();
  }
  w.end_array().end_object();
  return HttpResponse::json(200, w.take());
}

HttpResponse cancel_query(const LogsDeps& d, HttpRequest& req) {
  Status st = d.queries->cancel(request_tenant(req), req.path_params["id"]);
  if (!st.ok()) return error(st);
  return HttpResponse::json(200, R"({"success":true})");
}

HttpResponse list_queries(const LogsDeps& d, HttpRequest& req) {
  json::Writer w;
  w.begin_object().key("queries").begin_array();
  for (const auto& s : d.queries->list(request_tenant(req))) {
    write_state(w, s);
    w.end_object();
  }
  w.end_array().end_object();
  return HttpResponse::json(200, w.take());
}

// FilterLogEvents (query/insights/filter_events.h).
HttpResponse filter_events(const LogsDeps& d, HttpRequest& req) {
  auto group = required_param(req, "group");
  if (!group.ok()) return error(group.status());
  auto pattern = query::insights::parse_filter_pattern(req.param("pattern"));
  if (!pattern.ok()) return error(pattern.status());
  query::insights::FilterEventsRequest f;
  f.tenant = request_tenant(req);
  f.group = *group;
  for (auto s : req.params_named("stream")) f.streams.emplace_back(s);
  if (Status st = time_range(d, req, &f.start_ms, &f.end_ms); !st.ok()) return error(st);
  auto limit = parse_int_param(req, "limit", 10'000);
  if (!limit.ok()) return error(limit.status());
  f.limit = *limit;
  f.next_token = std::string(req.param("nextToken"));
  auto page = query::insights::filter_log_events(*d.logs, f, *pattern);
  if (!page.ok()) return error(page.status());
  json::Writer w;
  w.begin_object().key("events").begin_array();
  for (const auto& e : page->events) {
    w.begin_object()
        .kv("logStreamName", e.stream)
        .kv("timestamp", e.timestamp_ms)
        .kv("message", e.message)
        .kv("ingestionTime", e.ingestion_time_ms)
        .end_object();
  }
  w.end_array();
  if (!page->next_token.empty()) w.kv("nextToken", page->next_token);
  w.kv("searchedBytes", page->stats.bytes_scanned).end_object();
  return HttpResponse::json(200, w.take());
}

HttpResponse patterns(const LogsDeps& d, HttpRequest& req) {
  auto group = required_param(req, "group");
  if (!group.ok()) return error(group.status());
  auto pattern = query::insights::parse_filter_pattern(req.param("filter"));
  if (!pattern.ok()) return error(pattern.status());
  storage::LogScan scan;
  scan.groups = {*group};
  int64_t start = 0, end = 0;
  if (Status st = time_range(d, req, &start, &end); !st.ok()) return error(st);
  scan.start_ms = start;
  scan.end_ms = end == INT64_MAX ? end : end + 1;
  scan.newest_first = true;
  auto scanner = d.logs->scan(request_tenant(req), scan);
  if (!scanner.ok()) return error(scanner.status());
  std::vector<std::string> messages;
  storage::LogRecord rec;
  bool truncated = false;
  while (true) {
    auto next = (*scanner)->next(&rec);
    if (!next.ok()) return error(next.status());
    if (!*next) break;
    if (!pattern->matches(rec)) continue;
    if (messages.size() == d.max_pattern_lines) {
      truncated = true;
      break;
    }
    messages.emplace_back(rec.message);
  }
  std::vector<std::string_view> lines(messages.begin(), messages.end());
  auto mined = query::patterns::mine(lines);
  json::Writer w;
  w.begin_object().kv("lines", static_cast<uint64_t>(lines.size())).kv("truncated", truncated);
  w.key("patterns").begin_array();
  for (const auto& p : mined.patterns) {
    w.begin_object()
        .kv("patternId", fmt::format("{:016x}", p.id))
        .kv("pattern", p.template_text)
        .kv("count", p.count)
        .kv("ratio", lines.empty() ? 0.0 : static_cast<double>(p.count) / lines.size());
    w.key("samples").begin_array();
    for (const auto& s : p.samples) w.value(s);
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return HttpResponse::json(200, w.take());
}

}  // namespace

void register_logs_api(Router& router, const LogsDeps& deps) {
  auto add = [&](std::string_view method, std::string_view path,
                 HttpResponse (*fn)(const LogsDeps&, HttpRequest&)) {
    router.add(std::string(method), std::string(path),
               [deps, fn](HttpRequest& r) { return fn(deps, r); });
  };
  add("POST", "/api/v1/logs/put", put_log_events);
  add("POST", "/v1/logs", otlp_logs);
  add("POST", "/loki/api/v1/push", loki_push);
  add("POST", "/api/v1/logs/import", import);
  add("GET", "/api/v1/logs/groups", list_groups);
  add("POST", "/api/v1/logs/groups", create_group);
  add("DELETE", "/api/v1/logs/groups", delete_group);
  add("PUT", "/api/v1/logs/groups/retention", put_retention);
  add("GET", "/api/v1/logs/streams", list_streams);
  add("POST", "/api/v1/logs/streams", create_stream);
  add("DELETE", "/api/v1/logs/streams", delete_stream);
  add("POST", "/api/v1/logs/query", start_query);
  add("GET", "/api/v1/logs/query/:id", get_query);
  add("DELETE", "/api/v1/logs/query/:id", cancel_query);
  add("GET", "/api/v1/logs/queries", list_queries);
  add("GET", "/api/v1/logs/filter", filter_events);
  add("POST", "/api/v1/logs/filter", filter_events);
  add("GET", "/api/v1/logs/patterns", patterns);
}

}  // namespace opsight::api
