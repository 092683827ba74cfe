#include "ingest/otlp/otlp_json_common.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace opsight::ingest::otlp::json {

namespace {

using simdjson::dom::element_type;

template <typename T>
bool parse_integer(std::string_view s, T* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto res = std::from_chars(s.data(), end, *out, 10);
  return res.ec == std::errc() && res.ptr == end;
}

// A JSON number that holds an integral value exactly representable in T.
template <typename T>
bool integral_double(double d, T* out) {
  if (!std::isfinite(d) || d != std::trunc(d)) return false;
  // Bounds as doubles: [min, max + 1) for the unsigned/signed 64-bit types.
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
  constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
  if (d < lo || d >= hi) return false;
  *out = static_cast<T>(d);
  return true;
}

Status malformed(const std::string& path, std::string_view what) {
  return Status::invalid_argument(fmt::format("malformed OTLP JSON at {}: {}", path, what));
}

}  // namespace

bool to_uint64(Element e, uint64_t* out) {
  switch (e.type()) {
    case element_type::UINT64:
      return e.get_uint64().get(*out) == simdjson::SUCCESS;
    case element_type::INT64: {
      int64_t v;
      if (e.get_int64().get(v) != simdjson::SUCCESS || v < 0) return false;
      *out = static_cast<uint64_t>(v);
      return true;
    }
    case element_type::DOUBLE: {
      double d;
      return e.get_double().get(d) == simdjson::SUCCESS && integral_double(d, out);
    }
    case element_type::STRING: {
      std::string_view s;
      return e.get_string().get(s) == simdjson::SUCCESS && parse_integer(s, out);
    }
    default:
      return false;
  }
}

bool to_int64(Element e, int64_t* out) {
  switch (e.type()) {
    case element_type::INT64:
      return e.get_int64().get(*out) == simdjson::SUCCESS;
    case element_type::UINT64:
      return false;  // above INT64_MAX
    case element_type::DOUBLE: {
      double d;
      return e.get_double().get(d) == simdjson::SUCCESS && integral_double(d, out);
    }
    case element_type::STRING: {
      std::string_view s;
      return e.get_string().get(s) == simdjson::SUCCESS && parse_integer(s, out);
    }
    default:
      return false;
  }
}

bool to_uint32(Element e, uint32_t* out) {
  uint64_t v;
  if (!to_uint64(e, &v) || v > std::numeric_limits<uint32_t>::max()) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool to_int32(Element e, int32_t* out) {
  int64_t v;
  if (!to_int64(e, &v) || v < std::numeric_limits<int32_t>::min() ||
      v > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *out = static_cast<int32_t>(v);
  return true;
}

bool to_double(Element e, double* out) {
  switch (e.type()) {
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return e.get_double().get(*out) == simdjson::SUCCESS;
    case element_type::STRING: {
      std::string_view s;
      if (e.get_string().get(s) != simdjson::SUCCESS) return false;
      if (s == "NaN") {
        *out = std::numeric_limits<double>::quiet_NaN();
        return true;
      }
      if (s == "Infinity") {
        *out = std::numeric_limits<double>::infinity();
        return true;
      }
      if (s == "-Infinity") {
        *out = -std::numeric_limits<double>::infinity();
        return true;
      }
      if (s.empty()) return false;
      const char* end = s.data() + s.size();
      auto res = std::from_chars(s.data(), end, *out);
      // from_chars also accepts "nan"/"inf" spellings; only finite decimals are valid here.
      return res.ec == std::errc() && res.ptr == end && std::isfinite(*out);
    }
    default:
      return false;
  }
}

bool to_bool(Element e, bool* out) {
  return e.type() == element_type::BOOL && e.get_bool().get(*out) == simdjson::SUCCESS;
}

bool to_string(Element e, std::string_view* out) {
  return e.type() == element_type::STRING && e.get_string().get(*out) == simdjson::SUCCESS;
}

std::string_view kind_name(Element e) {
  switch (e.type()) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "value";
}

Status as_object(Element e, const std::string& path, simdjson::dom::object* out) {
  if (e.get_object().get(*out) != simdjson::SUCCESS) {
    return malformed(path, fmt::format("expected an object, got {}", kind_name(e)));
  }
  return OkStatus();
}

Status as_array(Element e, const std::string& path, simdjson::dom::array* out) {
  if (e.get_array().get(*out) != simdjson::SUCCESS) {
    return malformed(path, fmt::format("expected an array, got {}", kind_name(e)));
  }
  return OkStatus();
}

Status as_string(Element e, const std::string& path, std::string_view* out) {
  if (!to_string(e, out)) {
    return malformed(path, fmt::format("expected a string, got {}", kind_name(e)));
  }
  return OkStatus();
}

Status decode_any_value(Element e, const std::string& path, AnyValue* out, DecodeBudget* budget,
                        int depth) {
  if (budget != nullptr && !budget->take()) return budget_exhausted_error();
  if (depth > kMaxAnyValueDepth) {
    return malformed(path, fmt::format("AnyValue nested deeper than {} levels", kMaxAnyValueDepth));
  }
  *out = AnyValue{};
  if (is_null(e)) return OkStatus();
  simdjson::dom::object obj;
  RETURN_IF_ERROR(as_object(e, path, &obj));
  for (auto field : obj) {
    std::string_view key = field.key;
    Element v = field.value;
    if (is_null(v)) continue;
    auto bad = [&](std::string_view want) {
      return malformed(path + "." + std::string(key),
                       fmt::format("expected {}, got {}", want, kind_name(v)));
    };
    if (is_field(key, "stringValue", "string_value")) {
      std::string_view s;
      if (!to_string(v, &s)) return bad("a string");
      out->type = AnyValue::Type::kString;
      out->str = std::string(s);
    } else if (is_field(key, "boolValue", "bool_value")) {
      if (!to_bool(v, &out->b)) return bad("a boolean");
      out->type = AnyValue::Type::kBool;
    } else if (is_field(key, "intValue", "int_value")) {
      if (!to_int64(v, &out->i)) return bad("an int64 (number or decimal string)");
      out->type = AnyValue::Type::kInt;
    } else if (is_field(key, "doubleValue", "double_value")) {
      if (!to_double(v, &out->d)) return bad("a double");
      out->type = AnyValue::Type::kDouble;
    } else if (is_field(key, "bytesValue", "bytes_value")) {
      std::string_view s;
      if (!to_string(v, &s)) return bad("a base64 string");
      if (!base64_decode(s, &out->str)) {
        return malformed(path + "." + std::string(key), "invalid base64");
      }
      out->type = AnyValue::Type::kBytes;
    } else if (is_field(key, "arrayValue", "array_value")) {
      out->type = AnyValue::Type::kArray;
      out->array.clear();
      simdjson::dom::object av;
      std::string ap = path + ".arrayValue";
      RETURN_IF_ERROR(as_object(v, ap, &av));
      for (auto f : av) {
        if (f.key != "values" || is_null(f.value)) continue;
        simdjson::dom::array arr;
        RETURN_IF_ERROR(as_array(f.value, ap + ".values", &arr));
        for (Element item : arr) {
          std::string ip = fmt::format("{}.values[{}]", ap, out->array.size());
          RETURN_IF_ERROR(
              decode_any_value(item, ip, &out->array.emplace_back(), budget, depth + 1));
        }
      }
    } else if (is_field(key, "kvlistValue", "kvlist_value")) {
      out->type = AnyValue::Type::kKvList;
      out->kvlist.clear();
      simdjson::dom::object kv;
      std::string kp = path + ".kvlistValue";
      RETURN_IF_ERROR(as_object(v, kp, &kv));
      for (auto f : kv) {
        if (f.key != "values" || is_null(f.value)) continue;
        RETURN_IF_ERROR(
            decode_key_values(f.value, kp + ".values", &out->kvlist, budget, depth + 1));
      }
    }
  }
  return OkStatus();
}

Status decode_key_values(Element e, const std::string& path, std::vector<KeyValue>* attrs,
                         DecodeBudget* budget, int depth) {
  if (is_null(e)) return OkStatus();
  simdjson::dom::array arr;
  RETURN_IF_ERROR(as_array(e, path, &arr));
  size_t i = 0;
  for (Element item : arr) {
    std::string ip = fmt::format("{}[{}]", path, i++);
    simdjson::dom::object obj;
    RETURN_IF_ERROR(as_object(item, ip, &obj));
    if (budget != nullptr && !budget->take()) return budget_exhausted_error();
    KeyValue kv;
    for (auto f : obj) {
      if (is_null(f.value)) continue;
      if (f.key == "key") {
        std::string_view k;
        RETURN_IF_ERROR(as_string(f.value, ip + ".key", &k));
        kv.key = std::string(k);
      } else if (f.key == "value") {
        RETURN_IF_ERROR(decode_any_value(f.value, ip + ".value", &kv.value, budget, depth));
      }
    }
    attrs->push_back(std::move(kv));
  }
  return OkStatus();
}

Status decode_resource(Element e, const std::string& path, Resource* out, DecodeBudget* budget) {
  if (is_null(e)) return OkStatus();
  simdjson::dom::object obj;
  RETURN_IF_ERROR(as_object(e, path, &obj));
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    if (f.key == "attributes") {
      RETURN_IF_ERROR(decode_key_values(f.value, path + ".attributes", &out->attributes, budget));
    } else if (is_field(f.key, "droppedAttributesCount", "dropped_attributes_count")) {
      if (!to_uint32(f.value, &out->dropped_attributes_count)) {
        return malformed(path + ".droppedAttributesCount", "expected a uint32");
      }
    }
  }
  return OkStatus();
}

Status decode_scope(Element e, const std::string& path, InstrumentationScope* out,
                    DecodeBudget* budget) {
  if (is_null(e)) return OkStatus();
  simdjson::dom::object obj;
  RETURN_IF_ERROR(as_object(e, path, &obj));
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    std::string_view s;
    if (f.key == "name") {
      RETURN_IF_ERROR(as_string(f.value, path + ".name", &s));
      out->name = std::string(s);
    } else if (f.key == "version") {
      RETURN_IF_ERROR(as_string(f.value, path + ".version", &s));
      out->version = std::string(s);
    } else if (f.key == "attributes") {
      RETURN_IF_ERROR(decode_key_values(f.value, path + ".attributes", &out->attributes, budget));
    } else if (is_field(f.key, "droppedAttributesCount", "dropped_attributes_count")) {
      if (!to_uint32(f.value, &out->dropped_attributes_count)) {
        return malformed(path + ".droppedAttributesCount", "expected a uint32");
      }
    }
  }
  return OkStatus();
}

}  // namespace opsight::ingest::otlp::json
