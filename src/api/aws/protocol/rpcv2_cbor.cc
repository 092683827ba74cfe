// RPC v2 CBOR <-> AWS JSON 1.0 translation; see rpcv2_cbor.h.
#include "api/aws/protocol/rpcv2_cbor.h"

#include <simdjson.h>

#include <cmath>

#include "common/json_writer.h"
#include "ingest/otlp/otlp_common.h"

namespace opsight::api::aws {
namespace {

namespace cbor = wire::cbor;

Status serialization(std::string_view what) {
  return Status::invalid_argument("SerializationException: " + std::string(what));
}

void write_number(json::Writer& w, const cbor::Item& item) {
  if (item.type == cbor::Type::kUnsigned) {
    w.value(item.u);
  } else if (item.type == cbor::Type::kNegative) {
    if (item.u <= static_cast<uint64_t>(INT64_MAX)) {
      w.value(-1 - static_cast<int64_t>(item.u));
    } else {
      w.value(item.as_double());
    }
  } else if (std::isnan(item.f)) {
    w.value("NaN");
  } else if (std::isinf(item.f)) {
    w.value(item.f > 0 ? "Infinity" : "-Infinity");
  } else {
    w.value(item.f);
  }
}

Status write_json(json::Writer& w, const cbor::Item& item) {
  switch (item.type) {
    case cbor::Type::kUnsigned:
    case cbor::Type::kNegative:
    case cbor::Type::kFloat:
      write_number(w, item);
      return OkStatus();
    case cbor::Type::kText:
      w.value(item.str);
      return OkStatus();
    case cbor::Type::kBytes:
      w.value(ingest::otlp::base64_encode(item.str));
      return OkStatus();
    case cbor::Type::kArray:
      w.begin_array();
      for (const auto& e : item.items) RETURN_IF_ERROR(write_json(w, e));
      w.end_array();
      return OkStatus();
    case cbor::Type::kMap:
      w.begin_object();
      for (size_t i = 0; i + 1 < item.items.size(); i += 2) {
        const auto& k = item.items[i];
        const auto& v = item.items[i + 1];
        if (k.type != cbor::Type::kText) return serialization("map keys must be text strings");
        if (v.type == cbor::Type::kNull || v.type == cbor::Type::kUndefined) continue;
        w.key(k.str);
        RETURN_IF_ERROR(write_json(w, v));
      }
      w.end_object();
      return OkStatus();
    case cbor::Type::kTag:
      if (item.u == 1 && !item.items[0].is_number()) {
        return serialization("tag 1 (epoch time) must enclose a number");
      }
      return write_json(w, item.items[0]);
    case cbor::Type::kFalse:
    case cbor::Type::kTrue:
      w.value(item.type == cbor::Type::kTrue);
      return OkStatus();
    case cbor::Type::kNull:
    case cbor::Type::kUndefined:
      w.null();
      return OkStatus();
    case cbor::Type::kSimple:
      return serialization("unassigned simple value");
  }
  return OkStatus();
}

cbor::Item number_item(simdjson::dom::element e) {
  if (e.is_int64()) return cbor::Item::integer(e.get_int64().value_unsafe());
  if (e.is_uint64()) return cbor::Item::unsigned_int(e.get_uint64().value_unsafe());
  return cbor::Item::floating(e.get_double().value_unsafe());
}

cbor::Item to_cbor(simdjson::dom::element e, std::string_view parent, std::string_view name,
                   const ShapeTable& shapes) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      MemberShape shape = shapes.lookup(parent, name);
      cbor::Item m = cbor::Item::map();
      simdjson::dom::object container = e.get_object().value_unsafe();
      for (auto [k, v] : container) {
        if (v.is_null()) continue;
        if (shape.map) {
          cbor::Item value = v.is_number() && shape.type == ScalarType::kTimestamp
                                 ? cbor::Item::tagged(1, number_item(v))
                                 : to_cbor(v, parent, name, shapes);
          m.put(std::string(k), std::move(value));
        } else {
          m.put(std::string(k), to_cbor(v, name, k, shapes));
        }
      }
      return m;
    }
    case simdjson::dom::element_type::ARRAY: {
      cbor::Item a = cbor::Item::array();
      simdjson::dom::array container = e.get_array().value_unsafe();
      for (auto v : container) a.items.push_back(to_cbor(v, parent, name, shapes));
      return a;
    }
    case simdjson::dom::element_type::STRING:
      return cbor::Item::text(std::string(e.get_string().value_unsafe()));
    case simdjson::dom::element_type::BOOL:
      return cbor::Item::boolean(e.get_bool().value_unsafe());
    case simdjson::dom::element_type::NULL_VALUE:
      return cbor::Item::null();
    default: {
      cbor::Item n = number_item(e);
      if (shapes.lookup(parent, name).type == ScalarType::kTimestamp) {
        return cbor::Item::tagged(1, std::move(n));
      }
      return n;
    }
  }
}

}  // namespace

Result<std::string> cbor_to_json(std::string_view body) {
  if (body.empty()) return std::string("{}");
  auto item = cbor::decode(body);
  if (!item.ok()) return serialization(item.status().message());
  if (item->type != cbor::Type::kMap) return serialization("the request body must be a CBOR map");
  json::Writer w;
  RETURN_IF_ERROR(write_json(w, *item));
  return w.take();
}

Result<std::string> json_to_cbor(std::string_view json, const ShapeTable& shapes) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return Status::invalid_argument("the operation's response is not a JSON object");
  }
  return cbor::encode(to_cbor(doc, "", "", shapes));
}

std::string cbor_error_body(const AwsError& error) {
  cbor::Item m = cbor::Item::map();
  m.put("__type", cbor::Item::text(error.code));
  m.put("message", cbor::Item::text(error.message));
  return cbor::encode(m);
}

}  // namespace opsight::api::aws
