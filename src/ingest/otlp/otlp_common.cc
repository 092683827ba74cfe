#include "ingest/otlp/otlp_common.h"

#include "ingest/otlp/otlp_pb_envelope.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "common/json_writer.h"
#include "wire/protobuf.h"

namespace opsight::ingest::otlp {

namespace {

Status pb_error(std::string_view what, const wire::pb::Reader& r) {
  return Status::invalid_argument(fmt::format("{}: {}", what, r.error()));
}

void append_double(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "Inf" : "-Inf";
  } else {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, res.ptr);
  }
}

void append_json(std::string& out, const AnyValue& v);

void append_json_kvlist(std::string& out, const std::vector<KeyValue>& kvs) {
  out += '{';
  for (size_t i = 0; i < kvs.size(); i++) {
    if (i > 0) out += ',';
    opsight::json::append_string(out, kvs[i].key);
    out += ':';
    append_json(out, kvs[i].value);
  }
  out += '}';
}

void append_json(std::string& out, const AnyValue& v) {
  switch (v.type) {
    case AnyValue::Type::kEmpty:
      out += "null";
      break;
    case AnyValue::Type::kString:
      opsight::json::append_string(out, v.str);
      break;
    case AnyValue::Type::kBool:
      out += v.b ? "true" : "false";
      break;
    case AnyValue::Type::kInt:
      out += std::to_string(v.i);
      break;
    case AnyValue::Type::kDouble:
      if (std::isfinite(v.d)) {
        append_double(out, v.d);
      } else {
        std::string s;
        append_double(s, v.d);
        opsight::json::append_string(out, s);
      }
      break;
    case AnyValue::Type::kBytes:
      opsight::json::append_string(out, base64_encode(v.str));
      break;
    case AnyValue::Type::kArray:
      out += '[';
      for (size_t i = 0; i < v.array.size(); i++) {
        if (i > 0) out += ',';
        append_json(out, v.array[i]);
      }
      out += ']';
      break;
    case AnyValue::Type::kKvList:
      append_json_kvlist(out, v.kvlist);
      break;
  }
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

Status pb_malformed(const std::string& path, std::string_view what) {
  return Status::invalid_argument(fmt::format("malformed OTLP protobuf at {}: {}", path, what));
}

Status pb_check(const wire::pb::Reader& r, const std::string& path) {
  if (!r.ok()) return pb_malformed(path, r.error());
  return OkStatus();
}

Status budget_exhausted_error() {
  return Status::invalid_argument(
      fmt::format("request too large: more than {} data points and attributes; split the request",
                  kMaxDecodedElements));
}

Status decode_any_value_pb(std::string_view data, AnyValue* out, DecodeBudget* budget, int depth) {
  if (budget != nullptr && !budget->take()) return budget_exhausted_error();
  if (depth > kMaxAnyValueDepth) {
    return Status::invalid_argument(
        fmt::format("AnyValue nested deeper than {} levels", kMaxAnyValueDepth));
  }
  *out = AnyValue{};
  wire::pb::Reader r(data);
  while (r.next()) {
    switch (r.field()) {
      case 1:
        out->type = AnyValue::Type::kString;
        out->str = std::string(r.bytes());
        break;
      case 2:
        out->type = AnyValue::Type::kBool;
        out->b = r.boolean();
        break;
      case 3:
        out->type = AnyValue::Type::kInt;
        out->i = r.int64();
        break;
      case 4:
        out->type = AnyValue::Type::kDouble;
        out->d = r.dbl();
        break;
      case 5: {  // ArrayValue{repeated AnyValue values = 1}
        out->type = AnyValue::Type::kArray;
        out->array.clear();
        wire::pb::Reader a(r.bytes());
        while (a.next()) {
          if (a.field() != 1) continue;
          AnyValue elem;
          RETURN_IF_ERROR(decode_any_value_pb(a.bytes(), &elem, budget, depth + 1));
          out->array.push_back(std::move(elem));
        }
        if (!a.ok()) return pb_error("AnyValue.array_value", a);
        break;
      }
      case 6: {  // KeyValueList{repeated KeyValue values = 1}
        out->type = AnyValue::Type::kKvList;
        out->kvlist.clear();
        wire::pb::Reader l(r.bytes());
        while (l.next()) {
          if (l.field() != 1) continue;
          KeyValue kv;
          RETURN_IF_ERROR(decode_key_value_pb(l.bytes(), &kv, budget, depth + 1));
          out->kvlist.push_back(std::move(kv));
        }
        if (!l.ok()) return pb_error("AnyValue.kvlist_value", l);
        break;
      }
      case 7:
        out->type = AnyValue::Type::kBytes;
        out->str = std::string(r.bytes());
        break;
      default:
        break;  // unknown fields are skipped (proto3 forward compatibility)
    }
  }
  if (!r.ok()) return pb_error("AnyValue", r);
  return OkStatus();
}

Status decode_key_value_pb(std::string_view data, KeyValue* out, DecodeBudget* budget, int depth) {
  if (budget != nullptr && !budget->take()) return budget_exhausted_error();
  wire::pb::Reader r(data);
  while (r.next()) {
    if (r.field() == 1) {
      out->key = std::string(r.bytes());
    } else if (r.field() == 2) {
      Status st = decode_any_value_pb(r.bytes(), &out->value, budget, depth);
      if (!st.ok()) return st.with_prefix(fmt::format("attribute \"{}\"", out->key));
    }
  }
  if (!r.ok()) return pb_error("KeyValue", r);
  return OkStatus();
}

Status decode_resource_pb(std::string_view data, Resource* out, DecodeBudget* budget) {
  wire::pb::Reader r(data);
  while (r.next()) {
    if (r.field() == 1) {
      KeyValue kv;
      RETURN_IF_ERROR(decode_key_value_pb(r.bytes(), &kv, budget).with_prefix("resource"));
      out->attributes.push_back(std::move(kv));
    } else if (r.field() == 2) {
      out->dropped_attributes_count = r.uint32();
    }
  }
  if (!r.ok()) return pb_error("Resource", r);
  return OkStatus();
}

Status decode_scope_pb(std::string_view data, InstrumentationScope* out, DecodeBudget* budget) {
  wire::pb::Reader r(data);
  while (r.next()) {
    switch (r.field()) {
      case 1:
        out->name = std::string(r.bytes());
        break;
      case 2:
        out->version = std::string(r.bytes());
        break;
      case 3: {
        KeyValue kv;
        RETURN_IF_ERROR(decode_key_value_pb(r.bytes(), &kv, budget).with_prefix("scope"));
        out->attributes.push_back(std::move(kv));
        break;
      }
      case 4:
        out->dropped_attributes_count = r.uint32();
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return pb_error("InstrumentationScope", r);
  return OkStatus();
}

std::string any_value_to_string(const AnyValue& v) {
  switch (v.type) {
    case AnyValue::Type::kEmpty:
      return {};
    case AnyValue::Type::kString:
      return v.str;
    case AnyValue::Type::kBool:
      return v.b ? "true" : "false";
    case AnyValue::Type::kInt:
      return std::to_string(v.i);
    case AnyValue::Type::kDouble: {
      std::string s;
      append_double(s, v.d);
      return s;
    }
    case AnyValue::Type::kBytes:
      return base64_encode(v.str);
    case AnyValue::Type::kArray:
    case AnyValue::Type::kKvList: {
      std::string s;
      append_json(s, v);
      return s;
    }
  }
  return {};
}

const AnyValue* find_attribute(const std::vector<KeyValue>& attrs, std::string_view key) {
  for (const auto& kv : attrs) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                 uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) n |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::string* out) {
  out->clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  out->reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int d = base64_digit(c);
    if (d < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

std::string encode_partial_success_pb(uint64_t rejected, std::string_view error_message) {
  if (rejected == 0 && error_message.empty()) return {};
  wire::pb::Writer partial;
  if (rejected != 0) partial.varint(1, rejected);
  if (!error_message.empty()) partial.bytes(2, error_message);
  wire::pb::Writer resp;
  resp.message(1, partial.str());
  return resp.take();
}

std::string encode_partial_success_json(std::string_view rejected_key, uint64_t rejected,
                                        std::string_view error_message) {
  if (rejected == 0 && error_message.empty()) return "{}";
  opsight::json::Writer w;
  w.begin_object().key("partialSuccess").begin_object();
  if (rejected != 0) w.kv(rejected_key, std::to_string(rejected));
  if (!error_message.empty()) w.kv("errorMessage", error_message);
  w.end_object().end_object();
  return w.take();
}

}  // namespace opsight::ingest::otlp
