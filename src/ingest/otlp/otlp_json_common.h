#pragma once
// OTLP/JSON helpers shared by the metrics, logs and traces decoders (OTLP specification,
// specification/protocol/otlp.md "JSON Protobuf Encoding": the proto3 JSON mapping with
// lowerCamelCase field names, where receivers also accept the original snake_case names;
// 64-bit integers as decimal strings or numbers; enums as integers; trace and span ids as hex;
// other bytes as base64; unknown fields ignored; null is the same as an absent field).
//
// Built on simdjson's DOM API with error codes (no exceptions). Include this only from .cc
// files: simdjson.h is a heavy header.
//
// Thread safety: pure functions; the elements belong to the caller's parser.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/otlp/otlp_common.h"

namespace opsight::ingest::otlp::json {

using Element = simdjson::dom::element;

// True when `key` is the lowerCamelCase or the snake_case name of a field.
inline bool is_field(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

inline bool is_null(Element e) {
  return e.is_null();
}

// Scalar readers: false when the element is not of a kind that encodes the type.
// uint64/int64: an integral JSON number in range, or a decimal string ("123", "-5").
bool to_uint64(Element e, uint64_t* out);
bool to_int64(Element e, int64_t* out);
// uint32/int32: as above, range-checked.
bool to_uint32(Element e, uint32_t* out);
bool to_int32(Element e, int32_t* out);
// double: any JSON number, or a string: "NaN", "Infinity", "-Infinity" or a decimal number.
bool to_double(Element e, double* out);
bool to_bool(Element e, bool* out);
bool to_string(Element e, std::string_view* out);

// A short description of the element's JSON kind ("string", "object", ...), for messages.
std::string_view kind_name(Element e);

// Structural readers: an InvalidArgument naming `path` when the element has another kind.
Status as_object(Element e, const std::string& path, simdjson::dom::object* out);
Status as_array(Element e, const std::string& path, simdjson::dom::array* out);
Status as_string(Element e, const std::string& path, std::string_view* out);

// common/v1 messages. `attrs` receives the elements of a JSON array of KeyValue objects.
// `budget` (may be null) is charged one unit per KeyValue and AnyValue (see DecodeBudget).
Status decode_any_value(Element e, const std::string& path, AnyValue* out,
                        DecodeBudget* budget = nullptr, int depth = 0);
Status decode_key_values(Element e, const std::string& path, std::vector<KeyValue>* attrs,
                         DecodeBudget* budget = nullptr, int depth = 0);
Status decode_resource(Element e, const std::string& path, Resource* out,
                       DecodeBudget* budget = nullptr);
Status decode_scope(Element e, const std::string& path, InstrumentationScope* out,
                    DecodeBudget* budget = nullptr);

}  // namespace opsight::ingest::otlp::json
