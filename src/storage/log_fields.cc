// Logs Insights-style JSON field discovery (see log_fields.h). simdjson On-Demand, so numbers
// keep their original text (raw_json_token) and deep values their raw JSON (raw_json).
#include "storage/log_fields.h"

#include <simdjson.h>

#include <string>
#include <unordered_set>

namespace opsight::storage {
namespace {

namespace od = simdjson::ondemand;

std::string_view trim_right(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

class Walker {
 public:
  Walker(std::vector<LogAttribute>* out, size_t start) : out_(out) {
    for (size_t i = 0; i < start; i++) seen_.insert((*out)[i].key);
  }

  // Walks `v` named `name` at `depth`; false on a JSON error.
  bool walk(od::value v, std::string& name, int depth) {
    od::json_type type;
    if (v.type().get(type)) return false;
    switch (type) {
      case od::json_type::object: {
        od::object obj;
        if (v.get_object().get(obj)) return false;
        if (depth >= kMaxFieldDepth && !full()) {
          std::string_view raw;
          if (obj.raw_json().get(raw)) return false;
          emit(name, trim_right(raw));
          return true;
        }
        return walk_object(obj, name, depth);
      }
      case od::json_type::array: {
        od::array arr;
        if (v.get_array().get(arr)) return false;
        if (depth >= kMaxFieldDepth && !full()) {
          std::string_view raw;
          if (arr.raw_json().get(raw)) return false;
          emit(name, trim_right(raw));
          return true;
        }
        size_t base = name.size();
        size_t index = 0;
        for (auto elem : arr) {
          od::value ev;
          if (elem.get(ev)) return false;
          name.resize(base);
          name += '.';
          name += std::to_string(index++);
          if (!walk(ev, name, depth + 1)) return false;
        }
        name.resize(base);
        return true;
      }
      case od::json_type::number: {
        emit(name, trim_right(v.raw_json_token()));
        return true;
      }
      case od::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s)) return false;
        emit(name, s);
        return true;
      }
      case od::json_type::boolean: {
        bool b;
        if (v.get_bool().get(b)) return false;
        emit(name, b ? "true" : "false");
        return true;
      }
      case od::json_type::null: {
        bool is_null;
        return !v.is_null().get(is_null) && is_null;
      }
    }
    return false;
  }

  bool walk_object(od::object obj, std::string& name, int depth) {
    size_t base = name.size();
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      name.resize(base);
      if (base > 0) name += '.';
      name += key;
      od::value v;
      if (field.value().get(v)) return false;
      if (!walk(v, name, depth + 1)) return false;
    }
    name.resize(base);
    return true;
  }

 private:
  bool full() const { return added_ >= kMaxDiscoveredFields; }

  void emit(const std::string& name, std::string_view value) {
    if (full() || name.empty()) return;
    if (!seen_.insert(name).second) return;
    out_->push_back(LogAttribute{name, std::string(value)});
    added_++;
  }

  std::vector<LogAttribute>* out_;
  std::unordered_set<std::string> seen_;
  size_t added_ = 0;
};

}  // namespace

void discover_fields(std::string_view message, std::vector<LogAttribute>* out) {
  size_t first = message.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || message[first] != '{') return;
  thread_local od::parser parser;
  simdjson::padded_string padded(message);
  od::document doc;
  if (parser.iterate(padded).get(doc)) return;
  od::object obj;
  if (doc.get_object().get(obj)) return;
  const size_t start = out->size();
  Walker walker(out, start);
  std::string name;
  bool ok = walker.walk_object(obj, name, 0);
  // Trailing content after the object: the iterator is not at the end of the document.
  if (ok && doc.current_location().error() != simdjson::OUT_OF_BOUNDS) ok = false;
  if (!ok) out->resize(start);
}

}  // namespace opsight::storage
