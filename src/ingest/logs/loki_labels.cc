// Label-set parser for Loki's StreamAdapter.labels (Prometheus label syntax:
// prometheus.io/docs/instrumenting/exposition_formats, "Text format details").
#include "ingest/logs/loki_labels.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace opsight::ingest::logs {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Labels> parse() {
    skip_space();
    if (!eat('{')) return fail("expected '{'");
    std::vector<Label> labels;
    skip_space();
    while (!peek('}')) {
      Label l;
      size_t name_at = pos_;
      if (!name(&l.name)) return fail("expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)");
      skip_space();
      if (!eat('=')) return fail("expected '=' after the label name");
      skip_space();
      if (!eat('"')) return fail("expected '\"' to open the label value");
      RETURN_IF_ERROR(value(&l.value));
      for (const auto& prev : labels) {
        if (prev.name == l.name) {
          pos_ = name_at;
          return fail(fmt::format("duplicate label name \"{}\"", l.name));
        }
      }
      labels.push_back(std::move(l));
      skip_space();
      if (eat(',')) {
        skip_space();
        continue;
      }
      if (!peek('}')) return fail("expected ',' or '}'");
    }
    eat('}');
    skip_space();
    if (pos_ != s_.size()) return fail("unexpected text after '}'");
    return Labels(std::move(labels));
  }

 private:
  Status fail(std::string_view what) const {
    return Status::invalid_argument(
        fmt::format("invalid label set at offset {}: {}", std::min(pos_, s_.size()), what));
  }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    pos_++;
    return true;
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) pos_++;
  }
  bool name(std::string* out) {
    size_t start = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      bool digit = c >= '0' && c <= '9';
      if (!(alpha || (digit && pos_ > start))) break;
      pos_++;
    }
    if (pos_ == start) return false;
    *out = std::string(s_.substr(start, pos_ - start));
    return true;
  }
  Status value(std::string* out) {
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return OkStatus();
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
          out->push_back(e);
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 't':
          out->push_back('\t');
          break;
        default:
          pos_--;
          return fail(fmt::format("unknown escape '\\{}' in a label value", e));
      }
    }
    return fail("unterminated label value");
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<Labels> parse_label_set(std::string_view text) {
  return Parser(text).parse();
}

}  // namespace opsight::ingest::logs
