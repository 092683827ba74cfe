#pragma once
// Field discovery for JSON log messages, the way CloudWatch Logs Insights discovers fields
// (Amazon CloudWatch Logs User Guide, "Supported logs and discovered fields": JSON keys are
// flattened with '.', arrays by element index, e.g. requestParameters.items.0.instanceId; at
// most 200 fields are extracted from one JSON event).
//
// Rules:
//   - only a message that is a JSON object (optional surrounding whitespace) has fields; any
//     other message (text, an array, invalid JSON, trailing garbage) adds nothing;
//   - nested objects: "a":{"b":1} -> a.b; arrays: "a":[{"b":1},2] -> a.0.b, a.1;
//   - values as text: strings unescaped, numbers as written in the message, booleans
//     "true"/"false"; null values and empty objects/arrays add no field;
//   - at most kMaxDiscoveredFields fields (in document order; the rest are dropped); an object or
//     array nested deeper than kMaxFieldDepth becomes one field whose value is its JSON text;
//   - names are unique among the fields appended by one call and those already in *out (the
//     first occurrence wins); an empty name (key "" at the top level) is skipped.
//
// Thread safety: safe to call concurrently (each thread uses its own parser).

#include <cstddef>
#include <string_view>
#include <vector>

#include "storage/log_store.h"

namespace opsight::storage {

inline constexpr size_t kMaxDiscoveredFields = 200;
inline constexpr int kMaxFieldDepth = 16;

// Appends the discovered fields of `message` to *out.
void discover_fields(std::string_view message, std::vector<LogAttribute>* out);

}  // namespace opsight::storage
