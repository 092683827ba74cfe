// Log groups, log streams, retention and tags (CloudWatch Logs API reference:
// API_CreateLogGroup, API_DeleteLogGroup, API_DescribeLogGroups, API_CreateLogStream,
// API_DeleteLogStream, API_DescribeLogStreams, API_PutRetentionPolicy, API_DeleteRetentionPolicy,
// API_TagLogGroup, API_UntagLogGroup, API_ListTagsLogGroup, API_TagResource, API_UntagResource,
// API_ListTagsForResource).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>

#include "api/api_util.h"
#include "api/aws/logs/logs_ops.h"
#include "common/json_writer.h"
#include "ingest/logs/log_batch.h"

namespace opsight::api::aws::logs_ops {
namespace {

constexpr std::string_view kEmpty = "{}";

// The tag store speaks CloudWatch's codes; CloudWatch Logs names them differently.
Status logs_tag_status(Status st) {
  constexpr std::string_view kCw = "InvalidParameterValue: ";
  if (!st.ok() && st.message().starts_with(kCw)) {
    return Status(st.code(),
                  "InvalidParameterException: " + std::string(st.message().substr(kCw.size())));
  }
  return st;
}

Status check_group_name(std::string_view name) {
  if (std::string r = ingest::check_log_group_name(name); !r.empty()) {
    return invalid_parameter(fmt::format("logGroupName: {}", r));
  }
  return OkStatus();
}

Status check_stream_name(std::string_view name) {
  if (std::string r = ingest::check_log_stream_name(name); !r.empty()) {
    return invalid_parameter(fmt::format("logStreamName: {}", r));
  }
  return OkStatus();
}

Status check_tags(const resources::Tags& tags) {
  for (const auto& [k, v] : tags) RETURN_IF_ERROR(logs_tag_status(resources::validate_tag(k, v)));
  if (tags.size() > resources::kMaxTagsPerResource) {
    return invalid_parameter(fmt::format("{} tags given; at most {} are allowed", tags.size(),
                                         resources::kMaxTagsPerResource));
  }
  return OkStatus();
}

Result<resources::Tags> tags_member(const Call& c, std::string_view name) {
  ASSIGN_OR_RETURN(auto m, c.args.string_map(name));
  return resources::Tags(m.begin(), m.end());
}

std::string tags_response(const resources::Tags& tags) {
  json::Writer w;
  w.begin_object().key("tags").begin_object();
  for (const auto& [k, v] : tags) w.kv(k, v);
  w.end_object().end_object();
  return w.take();
}

bool contains_ci(std::string_view text, std::string_view needle) {
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

}  // namespace

// --- shared helpers ---------------------------------------------------------------------------

std::string log_group_arn(const storage::Tenant& tenant, std::string_view group) {
  return fmt::format("arn:aws:logs:{}:{}:log-group:{}", tenant.region, tenant.account, group);
}

Result<std::string> group_of_arn(const storage::Tenant& tenant, std::string_view arn) {
  const std::string prefix = log_group_arn(tenant, "");
  if (!arn.starts_with(prefix) || arn.size() == prefix.size()) {
    return Status::not_found(fmt::format(
        "ResourceNotFoundException: {} is not a log group ARN of account {} in region {}", arn,
        tenant.account, tenant.region));
  }
  std::string_view name = arn.substr(prefix.size());
  if (name.ends_with(":*")) name.remove_suffix(2);
  return std::string(name);
}

Result<std::string> group_of(const Call& c) {
  ASSIGN_OR_RETURN(auto name, c.args.string("logGroupName"));
  ASSIGN_OR_RETURN(auto id, c.args.string("logGroupIdentifier"));
  if (name && id) {
    return invalid_parameter("specify logGroupName or logGroupIdentifier, not both");
  }
  if (id) {
    if (id->starts_with("arn:")) return group_of_arn(c.tenant, *id);
    return std::move(*id);
  }
  if (!name) return invalid_parameter("logGroupName is required");
  RETURN_IF_ERROR(check_group_name(*name));
  return std::move(*name);
}

Status require_group(const Call& c, std::string_view group) {
  ASSIGN_OR_RETURN(auto groups, c.deps.logs.logs->describe_groups(c.tenant, group));
  for (const auto& g : groups) {
    if (g.name == group) return OkStatus();
  }
  return Status::not_found(
      fmt::format("ResourceNotFoundException: The specified log group does not exist: {}", group));
}

Status page(const Call& c, std::string_view limit_member, size_t total, int64_t default_limit,
            int64_t max_limit, size_t* begin, size_t* end, std::string* next) {
  ASSIGN_OR_RETURN(auto limit, c.args.integer(limit_member));
  const int64_t n = limit.value_or(default_limit);
  if (n < 1 || n > max_limit) {
    return invalid_parameter(fmt::format("{} {} must be within 1..{}", limit_member, n, max_limit));
  }
  ASSIGN_OR_RETURN(auto token, c.args.string("nextToken"));
  size_t offset = 0;
  if (token) {
    auto [p, ec] = std::from_chars(token->data(), token->data() + token->size(), offset);
    if (ec != std::errc() || p != token->data() + token->size() || offset > total) {
      return invalid_parameter(fmt::format("The specified nextToken \"{}\" is not valid", *token));
    }
  }
  *begin = offset;
  *end = std::min(total, offset + static_cast<size_t>(n));
  *next = *end < total ? std::to_string(*end) : "";
  return OkStatus();
}

// --- log groups -------------------------------------------------------------------------------

Result<std::string> create_log_group(const Call& c) {
  ASSIGN_OR_RETURN(auto name, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(check_group_name(name));
  ASSIGN_OR_RETURN(auto tags, tags_member(c, "tags"));
  RETURN_IF_ERROR(check_tags(tags));
  RETURN_IF_ERROR(c.deps.logs.logs->create_group(c.tenant, name, 0));
  if (!tags.empty()) {
    RETURN_IF_ERROR(
        logs_tag_status(c.deps.tags->tag(c.tenant, log_group_arn(c.tenant, name), tags)));
  }
  return std::string(kEmpty);
}

Result<std::string> delete_log_group(const Call& c) {
  ASSIGN_OR_RETURN(auto name, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(check_group_name(name));
  RETURN_IF_ERROR(c.deps.logs.logs->delete_group(c.tenant, name));
  // The group's configuration goes with it (a new group of that name starts clean).
  RETURN_IF_ERROR(c.deps.tags->remove_all(c.tenant, log_group_arn(c.tenant, name)));
  RETURN_IF_ERROR(c.deps.metric_filters->remove_group(c.tenant, name));
  return std::string(kEmpty);
}

Result<std::string> describe_log_groups(const Call& c) {
  ASSIGN_OR_RETURN(auto prefix, c.args.string("logGroupNamePrefix"));
  ASSIGN_OR_RETURN(auto pattern, c.args.string("logGroupNamePattern"));
  if (prefix && pattern) {
    return invalid_parameter("specify logGroupNamePrefix or logGroupNamePattern, not both");
  }
  // Cross-account observability: a monitoring account may list its linked source accounts'
  // groups too (includeLinkedAccounts), optionally only some accounts (accountIdentifiers, which
  // requires includeLinkedAccounts). Accounts that are not linked contribute nothing.
  ASSIGN_OR_RETURN(auto include_linked, c.args.boolean("includeLinkedAccounts"));
  ASSIGN_OR_RETURN(auto accounts, c.args.string_list("accountIdentifiers"));
  if (!accounts.empty() && !include_linked.value_or(false)) {
    return invalid_parameter("accountIdentifiers requires includeLinkedAccounts to be true");
  }
  if (accounts.size() > 20) {
    return invalid_parameter(
        fmt::format("{} accountIdentifiers given; at most 20 are allowed", accounts.size()));
  }
  std::vector<storage::Tenant> tenants{c.tenant};
  if (include_linked.value_or(false)) tenants = request_tenants(c.http);
  if (!accounts.empty()) {
    std::erase_if(tenants, [&](const storage::Tenant& t) {
      return std::find(accounts.begin(), accounts.end(), t.account) == accounts.end();
    });
  }
  struct Listed {
    storage::LogGroupInfo info;
    size_t tenant = 0;  // index into tenants
  };
  std::vector<Listed> groups;
  for (size_t t = 0; t < tenants.size(); t++) {
    ASSIGN_OR_RETURN(auto gs, c.deps.logs.logs->describe_groups(tenants[t], prefix.value_or("")));
    for (auto& g : gs) groups.push_back(Listed{std::move(g), t});
  }
  if (pattern && !pattern->empty()) {
    std::erase_if(groups, [&](const auto& g) { return !contains_ci(g.info.name, *pattern); });
  }
  std::sort(groups.begin(), groups.end(), [&](const Listed& a, const Listed& b) {
    if (a.info.name != b.info.name) return a.info.name < b.info.name;
    return tenants[a.tenant].account < tenants[b.tenant].account;
  });
  size_t begin = 0, end = 0;
  std::string next;
  RETURN_IF_ERROR(page(c, "limit", groups.size(), 50, 50, &begin, &end, &next));
  std::vector<std::optional<std::map<std::string, std::vector<resources::MetricFilter>>>> filters(
      tenants.size());
  json::Writer w;
  w.begin_object().key("logGroups").begin_array();
  for (size_t i = begin; i < end; i++) {
    const auto& g = groups[i].info;
    const storage::Tenant& tenant = tenants[groups[i].tenant];
    auto& tenant_filters = filters[groups[i].tenant];
    if (!tenant_filters) {
      ASSIGN_OR_RETURN(auto all, c.deps.metric_filters->list_all(tenant));
      tenant_filters.emplace(all.begin(), all.end());
    }
    const std::string arn = log_group_arn(tenant, g.name);
    int64_t filter_count = 0;
    if (auto it = tenant_filters->find(g.name); it != tenant_filters->end()) {
      filter_count = static_cast<int64_t>(it->second.size());
    }
    w.begin_object().kv("logGroupName", g.name).kv("creationTime", g.creation_time_ms);
    if (g.retention_days != 0) w.kv("retentionInDays", static_cast<int64_t>(g.retention_days));
    w.kv("metricFilterCount", filter_count)
        .kv("arn", arn + ":*")
        .kv("logGroupArn", arn)
        .kv("storedBytes", g.stored_bytes)
        .kv("logGroupClass", "STANDARD")
        .end_object();
  }
  w.end_array();
  if (!next.empty()) w.kv("nextToken", next);
  w.end_object();
  return w.take();
}

Result<std::string> put_retention_policy(const Call& c) {
  ASSIGN_OR_RETURN(auto name, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(check_group_name(name));
  ASSIGN_OR_RETURN(auto days, c.args.integer("retentionInDays"));
  if (!days) return invalid_parameter("retentionInDays is required");
  if (*days <= 0 || *days > 100'000 ||
      !storage::valid_log_retention_days(static_cast<int>(*days))) {
    return invalid_parameter(fmt::format(
        "retentionInDays {} is not one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, "
        "545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        *days));
  }
  RETURN_IF_ERROR(c.deps.logs.logs->put_retention(c.tenant, name, static_cast<int>(*days)));
  return std::string(kEmpty);
}

Result<std::string> delete_retention_policy(const Call& c) {
  ASSIGN_OR_RETURN(auto name, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(check_group_name(name));
  RETURN_IF_ERROR(c.deps.logs.logs->put_retention(c.tenant, name, 0));
  return std::string(kEmpty);
}

// --- log streams ------------------------------------------------------------------------------

Result<std::string> create_log_stream(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(check_group_name(group));
  ASSIGN_OR_RETURN(auto name, c.args.required_string("logStreamName"));
  RETURN_IF_ERROR(check_stream_name(name));
  RETURN_IF_ERROR(c.deps.logs.logs->create_stream(c.tenant, group, name));
  return std::string(kEmpty);
}

Result<std::string> delete_log_stream(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(check_group_name(group));
  ASSIGN_OR_RETURN(auto name, c.args.required_string("logStreamName"));
  RETURN_IF_ERROR(check_stream_name(name));
  RETURN_IF_ERROR(c.deps.logs.logs->delete_stream(c.tenant, group, name));
  return std::string(kEmpty);
}

Result<std::string> describe_log_streams(const Call& c) {
  ASSIGN_OR_RETURN(auto group, group_of(c));
  ASSIGN_OR_RETURN(auto prefix, c.args.string("logStreamNamePrefix"));
  ASSIGN_OR_RETURN(auto order_by, c.args.string("orderBy"));
  ASSIGN_OR_RETURN(auto descending, c.args.boolean("descending"));
  const bool by_time = order_by && *order_by == "LastEventTime";
  if (order_by && !by_time && *order_by != "LogStreamName") {
    return invalid_parameter(
        fmt::format("orderBy \"{}\" must be LogStreamName or LastEventTime", *order_by));
  }
  if (by_time && prefix) {
    return invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  ASSIGN_OR_RETURN(auto streams,
                   c.deps.logs.logs->describe_streams(c.tenant, group, prefix.value_or("")));
  std::sort(streams.begin(), streams.end(), [&](const auto& a, const auto& b) {
    if (by_time && a.last_event_ms != b.last_event_ms) return a.last_event_ms < b.last_event_ms;
    return a.name < b.name;
  });
  if (descending.value_or(false)) std::reverse(streams.begin(), streams.end());
  size_t begin = 0, end = 0;
  std::string next;
  RETURN_IF_ERROR(page(c, "limit", streams.size(), 50, 50, &begin, &end, &next));
  json::Writer w;
  w.begin_object().key("logStreams").begin_array();
  const std::string group_arn = log_group_arn(c.tenant, group);
  for (size_t i = begin; i < end; i++) {
    const auto& s = streams[i];
    w.begin_object().kv("logStreamName", s.name).kv("creationTime", s.creation_time_ms);
    if (s.last_event_ms != 0) {
      w.kv("firstEventTimestamp", s.first_event_ms).kv("lastEventTimestamp", s.last_event_ms);
      w.kv("lastIngestionTime", s.last_ingestion_ms);
    }
    w.kv("arn", fmt::format("{}:log-stream:{}", group_arn, s.name))
        .kv("storedBytes", s.stored_bytes)
        .end_object();
  }
  w.end_array();
  if (!next.empty()) w.kv("nextToken", next);
  w.end_object();
  return w.take();
}

// --- tags -------------------------------------------------------------------------------------

Result<std::string> tag_log_group(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(require_group(c, group));
  ASSIGN_OR_RETURN(auto tags, tags_member(c, "tags"));
  if (tags.empty()) return invalid_parameter("tags must have at least 1 member");
  RETURN_IF_ERROR(
      logs_tag_status(c.deps.tags->tag(c.tenant, log_group_arn(c.tenant, group), tags)));
  return std::string(kEmpty);
}

Result<std::string> untag_log_group(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(require_group(c, group));
  ASSIGN_OR_RETURN(auto keys, c.args.string_list("tags"));
  RETURN_IF_ERROR(c.deps.tags->untag(c.tenant, log_group_arn(c.tenant, group), keys));
  return std::string(kEmpty);
}

Result<std::string> list_tags_log_group(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.required_string("logGroupName"));
  RETURN_IF_ERROR(require_group(c, group));
  ASSIGN_OR_RETURN(auto tags, c.deps.tags->list(c.tenant, log_group_arn(c.tenant, group)));
  return tags_response(tags);
}

Result<std::string> tag_resource(const Call& c) {
  ASSIGN_OR_RETURN(auto arn, c.args.required_string("resourceArn"));
  ASSIGN_OR_RETURN(auto group, group_of_arn(c.tenant, arn));
  RETURN_IF_ERROR(require_group(c, group));
  ASSIGN_OR_RETURN(auto tags, tags_member(c, "tags"));
  if (tags.empty()) return invalid_parameter("tags must have at least 1 member");
  Status st = c.deps.tags->tag(c.tenant, log_group_arn(c.tenant, group), tags);
  if (st.message().starts_with("LimitExceededException: ")) {
    // TagResource documents TooManyTagsException for this case.
    return Status(st.code(), "TooManyTagsException: " + std::string(st.message().substr(24)));
  }
  RETURN_IF_ERROR(logs_tag_status(st));
  return std::string(kEmpty);
}

Result<std::string> untag_resource(const Call& c) {
  ASSIGN_OR_RETURN(auto arn, c.args.required_string("resourceArn"));
  ASSIGN_OR_RETURN(auto group, group_of_arn(c.tenant, arn));
  RETURN_IF_ERROR(require_group(c, group));
  ASSIGN_OR_RETURN(auto keys, c.args.string_list("tagKeys"));
  RETURN_IF_ERROR(c.deps.tags->untag(c.tenant, log_group_arn(c.tenant, group), keys));
  return std::string(kEmpty);
}

Result<std::string> list_tags_for_resource(const Call& c) {
  ASSIGN_OR_RETURN(auto arn, c.args.required_string("resourceArn"));
  ASSIGN_OR_RETURN(auto group, group_of_arn(c.tenant, arn));
  RETURN_IF_ERROR(require_group(c, group));
  ASSIGN_OR_RETURN(auto tags, c.deps.tags->list(c.tenant, log_group_arn(c.tenant, group)));
  return tags_response(tags);
}

}  // namespace opsight::api::aws::logs_ops
