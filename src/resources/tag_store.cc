#include "resources/tag_store.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "common/json_writer.h"
#include "storage/meta/update_document.h"

namespace opsight::resources {
namespace {

constexpr std::string_view kKind = "tags";

Result<Tags> decode(std::string_view doc) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(doc.data(), doc.size()).get(root) != simdjson::SUCCESS) {
    return Status::corruption("stored tags are not JSON");
  }
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return Status::corruption("stored tags not an object");
  Tags tags;
  for (auto field : obj) {
    std::string_view v;
    if (field.value.get(v) != simdjson::SUCCESS) return Status::corruption("stored tag not text");
    tags.emplace(std::string(field.key), std::string(v));
  }
  return tags;
}

std::string encode(const Tags& tags) {
  json::Writer w;
  w.begin_object();
  for (const auto& [k, v] : tags) w.kv(k, v);
  w.end_object();
  return w.take();
}

// Applies `change` to the resource's current tags and stores the result (no tags: no object).
template <typename Change>
Status update(storage::meta::MetaStore* meta, const storage::Tenant& tenant, std::string_view arn,
              Change change) {
  return storage::meta::update_document(
      *meta, tenant, kKind, arn,
      [&](const std::optional<std::string>& current) -> Result<std::optional<std::string>> {
        Tags tags;
        if (current) {
          ASSIGN_OR_RETURN(tags, decode(*current));
        }
        RETURN_IF_ERROR(change(tags));
        if (tags.empty()) return std::optional<std::string>();
        return std::optional<std::string>(encode(tags));
      });
}

}  // namespace

Status validate_tag(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > kMaxTagKeyBytes) {
    return Status::invalid_argument(fmt::format(
        "InvalidParameterValue: tag key \"{}\" must be 1 to {} bytes", key, kMaxTagKeyBytes));
  }
  if (value.size() > kMaxTagValueBytes) {
    return Status::invalid_argument(
        fmt::format("InvalidParameterValue: the value of tag \"{}\" must be at most {} bytes", key,
                    kMaxTagValueBytes));
  }
  if (key.starts_with("aws:")) {
    return Status::invalid_argument(fmt::format(
        "InvalidParameterValue: tag key \"{}\" uses the reserved prefix \"aws:\"", key));
  }
  return Status();
}

Status TagStore::tag(const storage::Tenant& tenant, std::string_view arn, const Tags& tags) {
  for (const auto& [k, v] : tags) RETURN_IF_ERROR(validate_tag(k, v));
  return update(meta_, tenant, arn, [&](Tags& cur) {
    for (const auto& [k, v] : tags) cur[k] = v;
    if (cur.size() > kMaxTagsPerResource) {
      return Status::invalid_argument(
          fmt::format("LimitExceededException: {} would have {} tags; at most {} are allowed", arn,
                      cur.size(), kMaxTagsPerResource));
    }
    return Status();
  });
}

Status TagStore::untag(const storage::Tenant& tenant, std::string_view arn,
                       const std::vector<std::string>& keys) {
  return update(meta_, tenant, arn, [&](Tags& cur) {
    for (const auto& k : keys) cur.erase(k);
    return Status();
  });
}

Result<Tags> TagStore::list(const storage::Tenant& tenant, std::string_view arn) {
  auto cur = meta_->get(tenant, kKind, arn);
  if (!cur.ok()) {
    if (cur.status().code() == Code::kNotFound) return Tags{};
    return cur.status();
  }
  return decode(cur->doc);
}

Status TagStore::remove_all(const storage::Tenant& tenant, std::string_view arn) {
  auto st = meta_->remove(tenant, kKind, arn).status();
  return st.code() == Code::kNotFound ? Status() : st;
}

}  // namespace opsight::resources
