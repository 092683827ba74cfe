#include "common/json_writer.h"

#include <charconv>
#include <cmath>

namespace opsight::json {

void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_double(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void Writer::sep() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_elem_.empty()) {
    if (has_elem_.back()) out_ += ',';
    has_elem_.back() = true;
  }
}

Writer& Writer::begin_object() {
  sep();
  out_ += '{';
  has_elem_.push_back(false);
  return *this;
}
Writer& Writer::end_object() {
  out_ += '}';
  has_elem_.pop_back();
  return *this;
}
Writer& Writer::begin_array() {
  sep();
  out_ += '[';
  has_elem_.push_back(false);
  return *this;
}
Writer& Writer::end_array() {
  out_ += ']';
  has_elem_.pop_back();
  return *this;
}
Writer& Writer::key(std::string_view k) {
  sep();
  append_string(out_, k);
  out_ += ':';
  after_key_ = true;
  return *this;
}
Writer& Writer::value(std::string_view s) {
  sep();
  append_string(out_, s);
  return *this;
}
Writer& Writer::value(bool b) {
  sep();
  out_ += b ? "true" : "false";
  return *this;
}
Writer& Writer::value(int64_t v) {
  sep();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_.append(buf, r.ptr);
  return *this;
}
Writer& Writer::value(uint64_t v) {
  sep();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_.append(buf, r.ptr);
  return *this;
}
Writer& Writer::value(double v) {
  sep();
  if (!std::isfinite(v)) {
    out_ += "null";
  } else {
    append_double(out_, v);
  }
  return *this;
}
Writer& Writer::null() {
  sep();
  out_ += "null";
  return *this;
}
Writer& Writer::raw(std::string_view json) {
  sep();
  out_ += json;
  return *this;
}

}  // namespace opsight::json
