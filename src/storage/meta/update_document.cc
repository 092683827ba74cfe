#include "storage/meta/update_document.h"

#include <fmt/format.h>

namespace opsight::storage::meta {

Status update_document(MetaStore& meta, const Tenant& tenant, std::string_view kind,
                       std::string_view name, const DocumentChange& change) {
  constexpr int kMaxAttempts = 8;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::optional<std::string> current;
    int64_t version = 0;  // 0: absent, so a put must create it
    auto cur = meta.get(tenant, kind, name);
    if (cur.ok()) {
      current = std::move(cur->doc);
      version = cur->version;
    } else if (cur.status().code() != Code::kNotFound) {
      return cur.status();
    }
    ASSIGN_OR_RETURN(std::optional<std::string> next, change(current));
    Status st;
    if (!next) {
      st = version == 0 ? Status() : meta.remove(tenant, kind, name, version).status();
    } else {
      st = meta.put(tenant, kind, name, *next, version).status();
    }
    // A lost race shows as a version mismatch, or as "exists" / "not found" when another writer
    // created or removed the document after our read.
    if (st.code() != Code::kFailedPrecondition && st.code() != Code::kAlreadyExists &&
        st.code() != Code::kNotFound) {
      return st;
    }
  }
  return Status::unavailable(fmt::format("{} \"{}\" changed concurrently; retry", kind, name));
}

}  // namespace opsight::storage::meta
