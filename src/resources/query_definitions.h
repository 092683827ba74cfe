#pragma once
// Saved Logs Insights queries (CloudWatch Logs PutQueryDefinition / DescribeQueryDefinitions /
// DeleteQueryDefinition, API reference API_PutQueryDefinition.html, API_QueryDefinition.html),
// also listed by the web console. One meta store object per definition, of kind
// "query-definition" named by its id (a version-4 UUID), whose document is
//   {"name":"errors/by-host","queryString":"fields @message | ...","logGroupNames":["/app"]}
// The meta object's updated time is the definition's lastModified.
//
// Rules: name 1..255 characters, '/'-separated parts without ':' or '*', not starting or ending
// with '/'; queryString 1..10000 characters; at most 50 log group names, each a valid log group
// name (the store does not check that the groups exist); at most kMaxQueryDefinitions per
// tenant (LimitExceededException). Errors are Status with the CloudWatch Logs code as a message
// prefix ("InvalidParameterException: ...", "ResourceNotFoundException: ...").
//
// Thread safety: thread-safe (the meta store serialises writes).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/meta/meta_store.h"

namespace opsight::resources {

inline constexpr size_t kMaxQueryDefinitions = 1000;
inline constexpr size_t kMaxQueryDefinitionGroups = 50;

struct QueryDefinition {
  std::string id;  // "" on put = create with a new id
  std::string name;
  std::string query_string;
  std::vector<std::string> log_group_names;
  int64_t last_modified_ms = 0;  // set by the store
  bool operator==(const QueryDefinition&) const = default;
};

Status validate_query_definition(const QueryDefinition& definition);

class QueryDefinitionStore {
 public:
  // `meta` must outlive the store.
  explicit QueryDefinitionStore(storage::meta::MetaStore* meta) : meta_(meta) {}

  // Creates (empty id: a new UUID) or replaces (the id must exist: NotFound otherwise) a
  // definition; returns its id.
  Result<std::string> put(const storage::Tenant& tenant, QueryDefinition definition);
  // The tenant's definitions whose name starts with `name_prefix`, by name then id.
  Result<std::vector<QueryDefinition>> list(const storage::Tenant& tenant,
                                            std::string_view name_prefix);
  // NotFound when absent.
  Status remove(const storage::Tenant& tenant, std::string_view id);

 private:
  storage::meta::MetaStore* meta_;
};

}  // namespace opsight::resources
