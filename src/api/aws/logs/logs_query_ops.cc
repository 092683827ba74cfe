// Logs Insights queries and saved query definitions (CloudWatch Logs API reference:
// API_StartQuery, API_GetQueryResults, API_StopQuery, API_DescribeQueries,
// API_PutQueryDefinition, API_DescribeQueryDefinitions, API_DeleteQueryDefinition).
#include <fmt/format.h>

#include <algorithm>

#include "api/aws/logs/logs_ops.h"
#include "common/json_writer.h"
#include "query/insights/query_service.h"

namespace opsight::api::aws::logs_ops {
namespace {

constexpr int64_t kMaxStartQueryLimit = 10'000;

std::string_view first_group(const query::insights::QueryState& s) {
  if (!s.request.account_groups.empty()) return s.request.account_groups[0].name;
  return s.request.groups.empty() ? std::string_view() : std::string_view(s.request.groups[0]);
}

bool names_group(const query::insights::QueryRequest& r, std::string_view group) {
  return std::find(r.groups.begin(), r.groups.end(), group) != r.groups.end() ||
         std::any_of(r.account_groups.begin(), r.account_groups.end(),
                     [&](const query::insights::QueryGroup& g) {
                       return g.tenant == r.tenant && g.name == group;
                     });
}

}  // namespace

Result<std::string> start_query(const Call& c) {
  ASSIGN_OR_RETURN(auto one, c.args.string("logGroupName"));
  ASSIGN_OR_RETURN(auto names, c.args.string_list("logGroupNames"));
  ASSIGN_OR_RETURN(auto ids, c.args.string_list("logGroupIdentifiers"));
  const int kinds = (one ? 1 : 0) + (names.empty() ? 0 : 1) + (ids.empty() ? 0 : 1);
  if (kinds != 1) {
    return invalid_parameter(
        "specify exactly one of logGroupName, logGroupNames or logGroupIdentifiers");
  }
  query::insights::QueryRequest q;
  q.tenant = c.tenant;
  if (one) q.groups.push_back(*one);
  for (auto& n : names) q.groups.push_back(std::move(n));
  // logGroupIdentifiers may name groups of linked source accounts (cross-account
  // observability): then the query is cross-account and every row names its account.
  std::vector<GroupRef> refs;
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(auto ref, readable_group(c, id));
    refs.push_back(std::move(ref));
  }
  const bool cross_account = std::any_of(refs.begin(), refs.end(),
                                         [&](const GroupRef& r) { return r.tenant != c.tenant; });
  for (auto& r : refs) {
    if (cross_account) {
      q.account_groups.push_back({std::move(r.tenant), std::move(r.name)});
    } else {
      q.groups.push_back(std::move(r.name));
    }
  }
  const size_t group_count = q.groups.size() + q.account_groups.size();
  if (group_count > 50) {
    return invalid_parameter(
        fmt::format("{} log groups given; at most 50 are allowed", group_count));
  }
  for (const auto& g : q.groups) RETURN_IF_ERROR(require_group(c, g));
  for (const auto& g : q.account_groups) {
    Call owner{c.deps, c.http, c.args, c.body, g.tenant, c.now_ms};
    RETURN_IF_ERROR(require_group(owner, g.name));
  }
  // StartQuery's times are epoch seconds; endTime is inclusive (the whole second).
  ASSIGN_OR_RETURN(auto start, c.args.integer("startTime"));
  ASSIGN_OR_RETURN(auto end, c.args.integer("endTime"));
  if (!start || !end) return invalid_parameter("startTime and endTime are required");
  constexpr int64_t kMaxSeconds = INT64_MAX / 1000 - 1;
  if (*start < 0 || *end < 0 || *start > kMaxSeconds || *end > kMaxSeconds) {
    return invalid_parameter("startTime and endTime must be epoch seconds >= 0");
  }
  if (*end < *start) {
    return invalid_parameter(fmt::format("endTime {} is before startTime {}", *end, *start));
  }
  q.start_ms = *start * 1000;
  q.end_ms = *end * 1000 + 999;
  ASSIGN_OR_RETURN(q.query, c.args.required_string("queryString"));
  ASSIGN_OR_RETURN(auto limit, c.args.integer("limit"));
  if (limit && (*limit < 1 || *limit > kMaxStartQueryLimit)) {
    return invalid_parameter(
        fmt::format("limit {} must be within 1..{}", *limit, kMaxStartQueryLimit));
  }
  q.limit = static_cast<size_t>(limit.value_or(0));
  auto id = c.deps.logs.queries->start(std::move(q));
  if (!id.ok()) {
    // The groups and times were checked above: what is left invalid is the query text.
    if (id.status().code() == Code::kInvalidArgument) {
      return Status::invalid_argument("MalformedQueryException: " + id.status().message());
    }
    return id.status();
  }
  json::Writer w;
  w.begin_object().kv("queryId", *id).end_object();
  return w.take();
}

Result<std::string> get_query_results(const Call& c) {
  ASSIGN_OR_RETURN(auto id, c.args.required_string("queryId"));
  ASSIGN_OR_RETURN(auto s, c.deps.logs.queries->get(c.tenant, id));
  json::Writer w;
  w.begin_object().key("results").begin_array();
  for (const auto& row : s.results.rows) {
    w.begin_array();
    for (size_t i = 0; i < row.size() && i < s.results.columns.size(); i++) {
      if (!row[i]) continue;
      w.begin_object().kv("field", s.results.columns[i]).kv("value", *row[i]).end_object();
    }
    w.end_array();
  }
  w.end_array();
  w.key("statistics")
      .begin_object()
      .kv("recordsMatched", static_cast<double>(s.statistics.records_matched))
      .kv("recordsScanned", static_cast<double>(s.statistics.records_scanned))
      .kv("bytesScanned", static_cast<double>(s.statistics.bytes_scanned))
      .end_object();
  w.kv("status", query::insights::status_name(s.status)).end_object();
  return w.take();
}

Result<std::string> stop_query(const Call& c) {
  ASSIGN_OR_RETURN(auto id, c.args.required_string("queryId"));
  Status st = c.deps.logs.queries->cancel(c.tenant, id);
  // A query that already finished is not stopped: success false, as AWS answers.
  if (!st.ok() && st.code() != Code::kInvalidArgument) return st;
  json::Writer w;
  w.begin_object().kv("success", st.ok()).end_object();
  return w.take();
}

Result<std::string> describe_queries(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.string("logGroupName"));
  ASSIGN_OR_RETURN(auto status, c.args.string("status"));
  auto all = c.deps.logs.queries->list(c.tenant);
  std::erase_if(all, [&](const query::insights::QueryState& s) {
    if (status && query::insights::status_name(s.status) != *status) return true;
    if (group && !names_group(s.request, *group)) return true;
    return false;
  });
  size_t begin = 0, end = 0;
  std::string next;
  RETURN_IF_ERROR(page(c, "maxResults", all.size(), 1000, 1000, &begin, &end, &next));
  json::Writer w;
  w.begin_object().key("queries").begin_array();
  for (size_t i = begin; i < end; i++) {
    const auto& s = all[i];
    w.begin_object()
        .kv("queryId", s.id)
        .kv("queryString", s.request.query)
        .kv("status", query::insights::status_name(s.status))
        .kv("createTime", s.create_time_ms)
        .kv("logGroupName", first_group(s))
        .end_object();
  }
  w.end_array();
  if (!next.empty()) w.kv("nextToken", next);
  w.end_object();
  return w.take();
}

Result<std::string> put_query_definition(const Call& c) {
  resources::QueryDefinition d;
  ASSIGN_OR_RETURN(d.name, c.args.required_string("name"));
  ASSIGN_OR_RETURN(auto id, c.args.string("queryDefinitionId"));
  d.id = id.value_or("");
  ASSIGN_OR_RETURN(d.log_group_names, c.args.string_list("logGroupNames"));
  ASSIGN_OR_RETURN(d.query_string, c.args.required_string("queryString"));
  ASSIGN_OR_RETURN(auto out, c.deps.query_definitions->put(c.tenant, std::move(d)));
  json::Writer w;
  w.begin_object().kv("queryDefinitionId", out).end_object();
  return w.take();
}

Result<std::string> describe_query_definitions(const Call& c) {
  ASSIGN_OR_RETURN(auto prefix, c.args.string("queryDefinitionNamePrefix"));
  ASSIGN_OR_RETURN(auto defs, c.deps.query_definitions->list(c.tenant, prefix.value_or("")));
  size_t begin = 0, end = 0;
  std::string next;
  RETURN_IF_ERROR(page(c, "maxResults", defs.size(), 1000, 1000, &begin, &end, &next));
  json::Writer w;
  w.begin_object().key("queryDefinitions").begin_array();
  for (size_t i = begin; i < end; i++) {
    const auto& d = defs[i];
    w.begin_object()
        .kv("queryDefinitionId", d.id)
        .kv("name", d.name)
        .kv("queryString", d.query_string)
        .kv("lastModified", d.last_modified_ms);
    w.key("logGroupNames").begin_array();
    for (const auto& g : d.log_group_names) w.value(g);
    w.end_array().end_object();
  }
  w.end_array();
  if (!next.empty()) w.kv("nextToken", next);
  w.end_object();
  return w.take();
}

Result<std::string> delete_query_definition(const Call& c) {
  ASSIGN_OR_RETURN(auto id, c.args.required_string("queryDefinitionId"));
  RETURN_IF_ERROR(c.deps.query_definitions->remove(c.tenant, id));
  return std::string(R"({"success":true})");
}

}  // namespace opsight::api::aws::logs_ops
