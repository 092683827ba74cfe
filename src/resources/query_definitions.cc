#include "resources/query_definitions.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <random>

#include "common/json_writer.h"

namespace opsight::resources {
namespace {

constexpr std::string_view kKind = "query-definition";

Status invalid(std::string message) {
  return Status::invalid_argument("InvalidParameterException: " + message);
}

// RFC 9562 section 5.4 version-4 UUID.
std::string new_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t h = (rng() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const uint64_t l = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", h >> 32, (h >> 16) & 0xffff, h & 0xffff,
                     l >> 48, l & 0xffffffffffffULL);
}

bool valid_group_name(std::string_view g) {
  if (g.empty() || g.size() > 512) return false;
  return std::all_of(g.begin(), g.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == '/' || c == '#';
  });
}

std::string encode(const QueryDefinition& d) {
  json::Writer w;
  w.begin_object().kv("name", d.name).kv("queryString", d.query_string);
  w.key("logGroupNames").begin_array();
  for (const auto& g : d.log_group_names) w.value(g);
  w.end_array().end_object();
  return w.take();
}

Result<QueryDefinition> decode(const storage::meta::MetaObject& o) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(o.doc.data(), o.doc.size()).get(root) != simdjson::SUCCESS) {
    return Status::corruption(fmt::format("stored query definition {} is not JSON", o.name));
  }
  QueryDefinition d;
  d.id = o.name;
  d.last_modified_ms = o.updated_ms;
  std::string_view s;
  if (root["name"].get(s) == simdjson::SUCCESS) d.name = std::string(s);
  if (root["queryString"].get(s) == simdjson::SUCCESS) d.query_string = std::string(s);
  simdjson::dom::array groups;
  if (root["logGroupNames"].get(groups) == simdjson::SUCCESS) {
    for (auto g : groups) {
      if (g.get(s) == simdjson::SUCCESS) d.log_group_names.emplace_back(s);
    }
  }
  return d;
}

}  // namespace

Status validate_query_definition(const QueryDefinition& d) {
  const std::string_view n = d.name;
  bool ok = !n.empty() && n.size() <= 255 && n.front() != '/' && n.back() != '/' &&
            n.find_first_of(":*") == std::string_view::npos && n.find("//") == std::string::npos;
  if (!ok) {
    return invalid(fmt::format(
        "name \"{}\" must be 1 to 255 characters of '/'-separated parts without ':' or '*'", n));
  }
  if (d.query_string.empty() || d.query_string.size() > 10'000) {
    return invalid(
        fmt::format("queryString is {} characters; 1 to 10000 are allowed", d.query_string.size()));
  }
  if (d.log_group_names.size() > kMaxQueryDefinitionGroups) {
    return invalid(fmt::format("logGroupNames has {} members; at most {} are allowed",
                               d.log_group_names.size(), kMaxQueryDefinitionGroups));
  }
  for (const auto& g : d.log_group_names) {
    if (!valid_group_name(g)) {
      return invalid(fmt::format(
          "logGroupNames member \"{}\" must be 1 to 512 characters of [.-_/#A-Za-z0-9]", g));
    }
  }
  return Status();
}

Result<std::string> QueryDefinitionStore::put(const storage::Tenant& tenant,
                                              QueryDefinition definition) {
  RETURN_IF_ERROR(validate_query_definition(definition));
  if (definition.id.empty()) {
    ASSIGN_OR_RETURN(auto existing, meta_->list(tenant, kKind));
    if (existing.size() >= kMaxQueryDefinitions) {
      return Status::resource_exhausted(
          fmt::format("LimitExceededException: at most {} query definitions are allowed",
                      kMaxQueryDefinitions));
    }
    definition.id = new_uuid();
    RETURN_IF_ERROR(meta_->put(tenant, kKind, definition.id, encode(definition), 0).status());
    return definition.id;
  }
  auto cur = meta_->get(tenant, kKind, definition.id);
  if (!cur.ok()) {
    if (cur.status().code() == Code::kNotFound) {
      return Status::not_found(fmt::format(
          "ResourceNotFoundException: query definition {} does not exist", definition.id));
    }
    return cur.status();
  }
  RETURN_IF_ERROR(
      meta_->put(tenant, kKind, definition.id, encode(definition), cur->version).status());
  return definition.id;
}

Result<std::vector<QueryDefinition>> QueryDefinitionStore::list(const storage::Tenant& tenant,
                                                                std::string_view name_prefix) {
  ASSIGN_OR_RETURN(auto objects, meta_->list(tenant, kKind));
  std::vector<QueryDefinition> out;
  for (const auto& o : objects) {
    ASSIGN_OR_RETURN(auto d, decode(o));
    if (d.name.starts_with(name_prefix)) out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const QueryDefinition& a, const QueryDefinition& b) {
    return a.name != b.name ? a.name < b.name : a.id < b.id;
  });
  return out;
}

Status QueryDefinitionStore::remove(const storage::Tenant& tenant, std::string_view id) {
  auto st = meta_->remove(tenant, kKind, id).status();
  if (st.code() == Code::kNotFound) {
    return Status::not_found(
        fmt::format("ResourceNotFoundException: query definition {} does not exist", id));
  }
  return st;
}

}  // namespace opsight::resources
