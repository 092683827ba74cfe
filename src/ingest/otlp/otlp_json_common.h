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

// The field names of the envelope every OTLP export request shares
// (opentelemetry-proto collector/<signal>/v1: Export<Signal>ServiceRequest{repeated
// Resource<Signal> = 1}, Resource<Signal>{resource = 1, repeated Scope<Signal> = 2},
// Scope<Signal>{scope = 1, repeated <item> = 2}).
struct EnvelopeNames {
  std::string_view request;    // "ExportLogsServiceRequest", for error paths
  std::string_view resources;  // "resourceLogs"
  std::string_view resources_snake;
  std::string_view scopes;  // "scopeLogs"
  std::string_view scopes_snake;
  std::string_view items;  // "logRecords"
  std::string_view items_snake;
};

// Decodes the envelope of an OTLP/JSON export request into *out (Resource has `resource` and
// the vector `scopes`; Scope has `scope` and the vector `items`), calling
// parse_item(Element, const std::string& path, Item*, DecodeBudget*) -> Status for each item.
// Error paths read "resourceLogs[0].scopeLogs[1].logRecords[2]...".
template <typename Resource, typename Scope, typename Item, typename ParseItem>
Status decode_envelope(std::string_view body, const EnvelopeNames& names,
                       std::vector<Resource>* out, std::vector<Scope> Resource::*scopes,
                       std::vector<Item> Scope::*items, ParseItem&& parse_item) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  Element doc;
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    return Status::invalid_argument(std::string("malformed OTLP JSON: ") +
                                    simdjson::error_message(err));
  }
  DecodeBudget budget;
  // Calls fn(element, path) for each element of the array `e` at `path`.
  auto each = [&](Element e, const std::string& path, auto&& fn) -> Status {
    simdjson::dom::array arr;
    RETURN_IF_ERROR(as_array(e, path, &arr));
    size_t i = 0;
    for (Element x : arr) RETURN_IF_ERROR(fn(x, path + "[" + std::to_string(i++) + "]"));
    return OkStatus();
  };
  auto parse_scope = [&](Element e, const std::string& path, Scope* s) -> Status {
    if (!budget.take()) return budget_exhausted_error();
    simdjson::dom::object obj;
    RETURN_IF_ERROR(as_object(e, path, &obj));
    for (auto f : obj) {
      if (is_null(f.value)) continue;
      if (f.key == "scope") {
        RETURN_IF_ERROR(decode_scope(f.value, path + ".scope", &s->scope, &budget));
      } else if (is_field(f.key, names.items, names.items_snake)) {
        RETURN_IF_ERROR(each(f.value, path + "." + std::string(names.items),
                             [&](Element x, const std::string& p) {
                               return parse_item(x, p, &((*s).*items).emplace_back(), &budget);
                             }));
      }
    }
    return OkStatus();
  };
  auto parse_resource = [&](Element e, const std::string& path, Resource* r) -> Status {
    if (!budget.take()) return budget_exhausted_error();
    simdjson::dom::object obj;
    RETURN_IF_ERROR(as_object(e, path, &obj));
    for (auto f : obj) {
      if (is_null(f.value)) continue;
      if (f.key == "resource") {
        RETURN_IF_ERROR(decode_resource(f.value, path + ".resource", &r->resource, &budget));
      } else if (is_field(f.key, names.scopes, names.scopes_snake)) {
        RETURN_IF_ERROR(each(f.value, path + "." + std::string(names.scopes),
                             [&](Element x, const std::string& p) {
                               return parse_scope(x, p, &((*r).*scopes).emplace_back());
                             }));
      }
    }
    return OkStatus();
  };
  simdjson::dom::object root;
  RETURN_IF_ERROR(as_object(doc, std::string(names.request), &root));
  for (auto f : root) {
    if (is_null(f.value) || !is_field(f.key, names.resources, names.resources_snake)) continue;
    RETURN_IF_ERROR(
        each(f.value, std::string(names.resources), [&](Element x, const std::string& p) {
          return parse_resource(x, p, &out->emplace_back());
        }));
  }
  return OkStatus();
}

}  // namespace opsight::ingest::otlp::json
