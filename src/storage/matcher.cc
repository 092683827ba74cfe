#include "storage/matcher.h"

#include <re2/re2.h>

#include "common/labels.h"

namespace opsight::storage {

struct Matcher::Regex {
  std::unique_ptr<RE2> re;
  std::vector<std::string> set;  // literal alternatives, if the regex is only that
};

namespace {

bool is_plain_literal(std::string_view s) {
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

Result<Matcher> Matcher::make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    auto rx = std::make_shared<Regex>();
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);  // Prometheus: "." matches newlines too
    rx->re = std::make_unique<RE2>("^(?:" + m.value_ + ")$", opts);
    if (!rx->re->ok()) {
      return Status::invalid_argument("invalid regular expression for label " + m.name_ + " (\"" +
                                      m.value_ + "\"): " + rx->re->error());
    }
    // "a|b|c" with no metacharacters: remember the literals.
    std::string_view v = m.value_;
    bool plain = true;
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= v.size(); i++) {
      if (i == v.size() || v[i] == '|') {
        std::string_view part = v.substr(start, i - start);
        if (!is_plain_literal(part)) {
          plain = false;
          break;
        }
        parts.emplace_back(part);
        start = i + 1;
      }
    }
    if (plain) rx->set = std::move(parts);
    m.re_ = std::move(rx);
  }
  m.matches_empty_ = m.matches("");
  return m;
}

Matcher Matcher::equal(std::string name, std::string value) {
  return std::move(*make(MatchType::kEqual, std::move(name), std::move(value)));
}

bool Matcher::matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual:
      return v == value_;
    case MatchType::kNotEqual:
      return v != value_;
    case MatchType::kRegexMatch:
      return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_->re);
    case MatchType::kRegexNoMatch:
      return !RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_->re);
  }
  return false;
}

const std::vector<std::string>& Matcher::set_values() const {
  static const std::vector<std::string> kEmpty;
  return re_ ? re_->set : kEmpty;
}

std::string Matcher::to_string() const {
  static constexpr const char* kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = name_ + kOps[static_cast<int>(type_)];
  append_quoted(out, value_);
  return out;
}

}  // namespace opsight::storage
