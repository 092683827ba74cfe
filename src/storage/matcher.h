#pragma once
// Label matchers with Prometheus semantics: =, !=, =~, !~; regexes are RE2, fully anchored
// (^(?:re)$). A matcher that matches the empty string also matches series that lack the label.
// Immutable and thread-safe once built.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::storage {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

class Matcher {
 public:
  // Fails with InvalidArgument naming the label when the regex does not compile.
  static Result<Matcher> make(MatchType type, std::string name, std::string value);
  static Matcher equal(std::string name, std::string value);

  bool matches(std::string_view v) const;
  bool matches_empty() const { return matches_empty_; }

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  // For a regex that is a plain alternation of literals ("a|b|c"), the literals; else empty.
  // Lets an index look values up directly instead of scanning all values.
  const std::vector<std::string>& set_values() const;
  // a="b", a=~"b", ...
  std::string to_string() const;

 private:
  struct Regex;
  MatchType type_ = MatchType::kEqual;
  std::string name_, value_;
  bool matches_empty_ = false;
  std::shared_ptr<const Regex> re_;
};

}  // namespace opsight::storage
