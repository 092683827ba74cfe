#pragma once
// A small streaming JSON writer for responses. Produces compact JSON; the caller is
// responsible for well-formed nesting (checked by assert in debug builds).
// Non-finite doubles are written as strings ("NaN", "+Inf", "-Inf") where a caller asks
// (Prometheus convention) and as null otherwise.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace opsight::json {

// Appends s as a JSON string literal with escapes.
void append_string(std::string& out, std::string_view s);
// Shortest round-trip representation of a double ("1", "0.1", "1e+300").
void append_double(std::string& out, double v);

class Writer {
 public:
  Writer() = default;
  explicit Writer(size_t reserve) { out_.reserve(reserve); }

  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view k);
  Writer& value(std::string_view s);
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(const std::string& s) { return value(std::string_view(s)); }
  Writer& value(bool b);
  Writer& value(int64_t v);
  Writer& value(uint64_t v);
  Writer& value(int v) { return value(static_cast<int64_t>(v)); }
  Writer& value(double v);  // non-finite -> null
  Writer& null();
  // Writes already-encoded JSON as a value.
  Writer& raw(std::string_view json);

  // key(k).value(v)
  template <typename T>
  Writer& kv(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void sep();
  std::string out_;
  // true when the current container already has an element.
  std::vector<bool> has_elem_;
  bool after_key_ = false;
};

}  // namespace opsight::json
