#pragma once
// Resource tags (CloudWatch TagResource / UntagResource / ListTagsForResource, CloudWatch Logs
// TagResource / TagLogGroup): a set of key/value pairs per resource ARN, per tenant, kept in the
// meta store as one object of kind "tags" named by the ARN, whose document is a JSON object
// {"key": "value", ...}.
//
// Rules (the CloudWatch Tag data type): at most 50 tags per resource; a key is 1..128 UTF-8
// bytes, a value 0..256, neither starts with "aws:" (reserved). Violations are InvalidArgument
// naming the tag and the rule, with the CloudWatch error code as a message prefix
// ("InvalidParameterValue: ..."); nothing of a rejected call is applied.
//
// The store does not check that the ARN names an existing resource: callers do (the front end
// knows which resources a service has), and delete a resource's tags when they delete it.
//
// Thread safety: thread-safe (the meta store serialises writes); tag and untag are read-modify-
// write under the store's version check, retried on a concurrent change.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/meta/meta_store.h"

namespace opsight::resources {

inline constexpr size_t kMaxTagsPerResource = 50;
inline constexpr size_t kMaxTagKeyBytes = 128;
inline constexpr size_t kMaxTagValueBytes = 256;

using Tags = std::map<std::string, std::string, std::less<>>;

class TagStore {
 public:
  // `meta` must outlive the store.
  explicit TagStore(storage::meta::MetaStore* meta) : meta_(meta) {}

  // Adds or overwrites `tags` on the resource.
  Status tag(const storage::Tenant& tenant, std::string_view arn, const Tags& tags);
  // Removes the keys (absent keys are ignored).
  Status untag(const storage::Tenant& tenant, std::string_view arn,
               const std::vector<std::string>& keys);
  // The resource's tags; empty when it has none.
  Result<Tags> list(const storage::Tenant& tenant, std::string_view arn);
  // Drops every tag of the resource (when the resource is deleted).
  Status remove_all(const storage::Tenant& tenant, std::string_view arn);

 private:
  storage::meta::MetaStore* meta_;
};

// Checks one tag against the rules above.
Status validate_tag(std::string_view key, std::string_view value);

}  // namespace opsight::resources
