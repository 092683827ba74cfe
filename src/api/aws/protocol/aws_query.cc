// awsQuery <-> AWS JSON 1.0 translation; see aws_query.h.
#include "api/aws/protocol/aws_query.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <map>
#include <memory>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "ingest/aws/put_metric_data.h"

namespace opsight::api::aws {
namespace {

constexpr uint64_t kMaxIndex = 1'000'000;  // bigger list indexes are malformed

// The parsed form: a tree of structures, lists (by index) and maps (entries by index).
struct Node {
  enum class Kind { kUnset, kLeaf, kStruct, kList, kMap } kind = Kind::kUnset;
  std::string value;                                   // kLeaf
  std::vector<std::pair<std::string, Node>> members;   // kStruct, in first-seen order
  std::map<uint64_t, std::unique_ptr<Node>> elements;  // kList / kMap (entry structs)

  Node* member(std::string_view name) {
    for (auto& [n, child] : members) {
      if (n == name) return &child;
    }
    members.emplace_back(std::string(name), Node{});
    return &members.back().second;
  }
};

Status malformed(std::string_view field, std::string_view rule) {
  return Status::invalid_argument(
      fmt::format("MalformedQueryString: parameter {}: {}", field, rule));
}

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    size_t j = s.find('.', i);
    out.push_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

bool make_kind(Node* n, Node::Kind kind) {
  if (n->kind == Node::Kind::kUnset) n->kind = kind;
  return n->kind == kind;
}

// Inserts tokens[i..] (a member path relative to the structure `n`) with `value`.
Status insert(Node* n, const std::vector<std::string_view>& tokens, size_t i,
              std::string_view field, std::string_view value) {
  while (true) {
    if (tokens[i].empty()) return malformed(field, "empty path segment");
    if (!make_kind(n, Node::Kind::kStruct)) {
      return malformed(field, "a member is used both as a value and as a structure");
    }
    Node* child = n->member(tokens[i]);
    if (i + 1 == tokens.size()) {
      if (!make_kind(child, Node::Kind::kLeaf)) {
        return malformed(field, "a member is used both as a value and as a structure");
      }
      child->value = std::string(value);
      return OkStatus();
    }
    std::string_view next = tokens[i + 1];
    if (next == "member" || next == "entry") {
      bool is_list = next == "member";
      if (!make_kind(child, is_list ? Node::Kind::kList : Node::Kind::kMap)) {
        return malformed(field, "a member is used both as a list/map and as another kind");
      }
      if (i + 2 >= tokens.size()) return malformed(field, "missing the element index");
      uint64_t index = 0;
      std::string_view idx = tokens[i + 2];
      auto [p, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), index);
      if (ec != std::errc() || p != idx.data() + idx.size() || index < 1 || index > kMaxIndex) {
        return malformed(field, "the element index must be an integer from 1");
      }
      auto& slot = child->elements[index];
      if (!slot) slot = std::make_unique<Node>();
      Node* elem = slot.get();
      if (i + 3 == tokens.size()) {
        if (!is_list) return malformed(field, "a map entry needs .key or .value");
        if (!make_kind(elem, Node::Kind::kLeaf)) {
          return malformed(field, "a list element is used both as a value and as a structure");
        }
        elem->value = std::string(value);
        return OkStatus();
      }
      if (!is_list && tokens[i + 3] != "key" && tokens[i + 3] != "value") {
        return malformed(field, "a map entry has only .key and .value");
      }
      n = elem;
      i += 3;
      continue;
    }
    n = child;
    i += 1;
  }
}

Status invalid_value(std::string_view field, std::string_view value, std::string_view type) {
  return Status::invalid_argument(
      fmt::format("InvalidParameterValue: The value '{}' for parameter {} is not a valid {}.",
                  value, field, type));
}

Status write_scalar(json::Writer& w, ScalarType type, std::string_view v, std::string_view field) {
  switch (type) {
    case ScalarType::kString:
      w.value(v);
      return OkStatus();
    case ScalarType::kInteger: {
      int64_t x = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (ec != std::errc() || p != v.data() + v.size()) return invalid_value(field, v, "integer");
      w.value(x);
      return OkStatus();
    }
    case ScalarType::kDouble: {
      double x = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(x)) {
        return invalid_value(field, v, "number");
      }
      w.value(x);
      return OkStatus();
    }
    case ScalarType::kBoolean:
      if (v == "true" || v == "True" || v == "TRUE") {
        w.value(true);
      } else if (v == "false" || v == "False" || v == "FALSE") {
        w.value(false);
      } else {
        return invalid_value(field, v, "boolean");
      }
      return OkStatus();
    case ScalarType::kTimestamp: {
      double secs = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
      if (ec == std::errc() && p == v.data() + v.size() && std::isfinite(secs)) {
        w.value(secs);
        return OkStatus();
      }
      auto ms = ingest::aws::parse_iso8601_ms(v);
      if (!ms.ok()) return invalid_value(field, v, "ISO 8601 timestamp");
      if (*ms % 1000 == 0) {
        w.value(static_cast<int64_t>(*ms / 1000));
      } else {
        w.value(static_cast<double>(*ms) / 1000.0);
      }
      return OkStatus();
    }
  }
  return OkStatus();
}

// Writes node `n`, the value of member `name` of a structure that is itself the value of member
// `parent` (the nearest enclosing member name).
Status write_node(json::Writer& w, const Node& n, std::string_view parent, std::string_view name,
                  const ShapeTable& shapes, const std::string& field) {
  MemberShape shape = shapes.lookup(parent, name);
  switch (n.kind) {
    case Node::Kind::kUnset:
      w.null();
      return OkStatus();
    case Node::Kind::kLeaf:
      if (n.value.empty() && shape.list) {
        w.begin_array().end_array();
        return OkStatus();
      }
      if (n.value.empty() && shape.map) {
        w.begin_object().end_object();
        return OkStatus();
      }
      return write_scalar(w, shape.type, n.value, field);
    case Node::Kind::kStruct:
      w.begin_object();
      for (const auto& [child_name, child] : n.members) {
        w.key(child_name);
        RETURN_IF_ERROR(write_node(w, child, name, child_name, shapes,
                                   field.empty() ? child_name : field + "." + child_name));
      }
      w.end_object();
      return OkStatus();
    case Node::Kind::kList:
      w.begin_array();
      for (const auto& [index, elem] : n.elements) {
        std::string ef = fmt::format("{}.member.{}", field, index);
        if (elem->kind == Node::Kind::kLeaf) {
          RETURN_IF_ERROR(write_scalar(w, shape.type, elem->value, ef));
        } else {
          // A structure element: its members' parent is the list member's name.
          RETURN_IF_ERROR(write_node(w, *elem, parent, name, shapes, ef));
        }
      }
      w.end_array();
      return OkStatus();
    case Node::Kind::kMap:
      w.begin_object();
      for (const auto& [index, entry] : n.elements) {
        std::string ef = fmt::format("{}.entry.{}", field, index);
        const Node* key = nullptr;
        const Node* value = nullptr;
        for (const auto& [k, v] : entry->members) {
          if (k == "key") key = &v;
          if (k == "value") value = &v;
        }
        if (key == nullptr || key->kind != Node::Kind::kLeaf) {
          return malformed(ef, "a map entry needs a .key");
        }
        w.key(key->value);
        if (value == nullptr) {
          w.null();
        } else if (value->kind == Node::Kind::kLeaf) {
          RETURN_IF_ERROR(write_scalar(w, shape.type, value->value, ef + ".value"));
        } else {
          RETURN_IF_ERROR(write_node(w, *value, parent, name, shapes, ef + ".value"));
        }
      }
      w.end_object();
      return OkStatus();
  }
  return OkStatus();
}

// ---- JSON -> XML ----

void append_number(std::string* out, simdjson::dom::element e, ScalarType type) {
  double d = 0;
  if (e.is_int64()) {
    int64_t v = e.get_int64().value_unsafe();
    if (type != ScalarType::kTimestamp) {
      out->append(std::to_string(v));
      return;
    }
    d = static_cast<double>(v);
  } else if (e.is_uint64()) {
    uint64_t v = e.get_uint64().value_unsafe();
    if (type != ScalarType::kTimestamp) {
      out->append(std::to_string(v));
      return;
    }
    d = static_cast<double>(v);
  } else {
    d = e.get_double().value_unsafe();
  }
  if (type == ScalarType::kTimestamp) {
    out->append(format_rfc3339_ms(static_cast<int64_t>(std::llround(d * 1000.0))));
    return;
  }
  json::append_double(*out, d);
}

void write_xml(std::string* out, simdjson::dom::element e, std::string_view parent,
               std::string_view name, const ShapeTable& shapes);

void write_xml_scalar_or_struct(std::string* out, simdjson::dom::element e, std::string_view parent,
                                std::string_view name, ScalarType type, const ShapeTable& shapes) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT:
    case simdjson::dom::element_type::ARRAY:
      write_xml(out, e, parent, name, shapes);
      return;
    case simdjson::dom::element_type::STRING:
      append_xml_escaped(out, e.get_string().value_unsafe());
      return;
    case simdjson::dom::element_type::BOOL:
      out->append(e.get_bool().value_unsafe() ? "true" : "false");
      return;
    case simdjson::dom::element_type::NULL_VALUE:
      return;
    default:
      append_number(out, e, type);
      return;
  }
}

// Writes the content (not the enclosing tags) of member `name` whose nearest enclosing member
// is `parent`.
void write_xml(std::string* out, simdjson::dom::element e, std::string_view parent,
               std::string_view name, const ShapeTable& shapes) {
  MemberShape shape = shapes.lookup(parent, name);
  if (e.is_object()) {
    simdjson::dom::object container = e.get_object().value_unsafe();
    for (auto [k, v] : container) {
      if (v.is_null()) continue;
      if (shape.map) {
        out->append("<entry><key>");
        append_xml_escaped(out, k);
        out->append("</key><value>");
        write_xml_scalar_or_struct(out, v, parent, name, shape.type, shapes);
        out->append("</value></entry>");
        continue;
      }
      out->append("<").append(k).append(">");
      write_xml_scalar_or_struct(out, v, name, k, shapes.lookup(name, k).type, shapes);
      out->append("</").append(k).append(">");
    }
    return;
  }
  if (e.is_array()) {
    simdjson::dom::array container = e.get_array().value_unsafe();
    for (auto v : container) {
      out->append("<member>");
      if (v.is_object()) {
        write_xml(out, v, parent, name, shapes);
      } else {
        write_xml_scalar_or_struct(out, v, parent, name, shape.type, shapes);
      }
      out->append("</member>");
    }
    return;
  }
  write_xml_scalar_or_struct(out, e, parent, name, shape.type, shapes);
}

}  // namespace

void append_xml_escaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&apos;");
        break;
      case '\r':
        out->append("&#xD;");
        break;
      case '\n':
        out->append("&#xA;");
        break;
      case '\t':
        out->append("&#x9;");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out->append("\xEF\xBF\xBD");  // U+FFFD
        } else {
          out->push_back(c);
        }
    }
  }
}

Result<std::string> query_to_json(const std::vector<std::pair<std::string, std::string>>& fields,
                                  const ShapeTable& shapes) {
  Node root;
  root.kind = Node::Kind::kStruct;
  for (const auto& [key, value] : fields) {
    if (key == "Action" || key == "Version") continue;
    if (key.empty()) return malformed("\"\"", "empty parameter name");
    RETURN_IF_ERROR(insert(&root, split_dots(key), 0, key, value));
  }
  json::Writer w;
  w.begin_object();
  for (const auto& [name, child] : root.members) {
    w.key(name);
    RETURN_IF_ERROR(write_node(w, child, "", name, shapes, name));
  }
  w.end_object();
  return w.take();
}

Result<std::string> json_to_query_xml(std::string_view operation, std::string_view json,
                                      std::string_view request_id, std::string_view xmlns,
                                      const ShapeTable& shapes) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return Status::invalid_argument("the operation's response is not a JSON object");
  }
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  out.append("\n<").append(operation).append("Response xmlns=\"");
  append_xml_escaped(&out, xmlns);
  out.append("\">");
  if (shapes.has_output(operation) || doc.get_object().value_unsafe().size() > 0) {
    out.append("<").append(operation).append("Result>");
    write_xml(&out, doc, "", "", shapes);
    out.append("</").append(operation).append("Result>");
  }
  out.append("<ResponseMetadata><RequestId>");
  append_xml_escaped(&out, request_id);
  out.append("</RequestId></ResponseMetadata></").append(operation).append("Response>\n");
  return out;
}

HttpResponse query_error_response(const AwsError& error, std::string_view request_id,
                                  std::string_view xmlns) {
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  out.append("\n<ErrorResponse xmlns=\"");
  append_xml_escaped(&out, xmlns);
  out.append("\"><Error><Type>");
  out.append(error.fault());
  out.append("</Type><Code>");
  append_xml_escaped(&out, error.code);
  out.append("</Code><Message>");
  append_xml_escaped(&out, error.message);
  out.append("</Message></Error><RequestId>");
  append_xml_escaped(&out, request_id);
  out.append("</RequestId></ErrorResponse>\n");
  HttpResponse r{error.http_status, "text/xml", {}, std::move(out)};
  r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  return r;
}

}  // namespace opsight::api::aws
