#pragma once
// Read-modify-write of one meta-store document (tags of a resource, the metric filters of a log
// group, ...): reads it, lets the caller compute the new document, and writes it under the store's
// version check, retrying from the read when another writer changed it in between.
//
// Thread safety: as MetaStore (thread-safe); `change` may run several times.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/meta/meta_store.h"

namespace opsight::storage::meta {

// `current`: the stored document, nullopt when there is none. Returns the new document, nullopt to
// delete it (or to leave it absent), or an error: then nothing is written and update_document
// returns that error.
using DocumentChange =
    std::function<Result<std::optional<std::string>>(const std::optional<std::string>& current)>;

// Unavailable after 8 attempts that all lost a race; other store errors as they come.
Status update_document(MetaStore& meta, const Tenant& tenant, std::string_view kind,
                       std::string_view name, const DocumentChange& change);

}  // namespace opsight::storage::meta
