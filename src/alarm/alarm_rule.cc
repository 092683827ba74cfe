// Composite alarm rule lexer, recursive-descent parser and evaluator (see alarm_rule.h).
#include "alarm/alarm_rule.h"

#include <fmt/format.h>

#include <algorithm>

namespace opsight::alarm {

class RuleParser {
 public:
  explicit RuleParser(std::string_view text) : text_(text) {}

  Result<AlarmRule> run() {
    skip_space();
    if (pos_ >= text_.size()) return error("the rule is empty");
    auto root = parse_or(0);
    if (!root.ok()) return root.status();
    skip_space();
    if (pos_ < text_.size()) return error("unexpected text after the end of the rule");
    rule_.root_ = *root;
    return std::move(rule_);
  }

 private:
  using Kind = AlarmRule::Kind;
  using Node = AlarmRule::Node;

  Status error(std::string_view what) const {
    return aws_error(kValidationError, fmt::format("AlarmRule: {} at offset {}.", what, pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      pos_++;
    }
  }

  static bool word_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  }

  // The upper-case keyword at pos_ (letters and '_'), without consuming it.
  std::string_view peek_word() const {
    size_t end = pos_;
    while (end < text_.size() && word_char(text_[end])) end++;
    return text_.substr(pos_, end - pos_);
  }

  bool accept_word(std::string_view w) {
    skip_space();
    if (peek_word() != w) return false;
    pos_ += w.size();
    return true;
  }

  int add(Node n) {
    rule_.nodes_.push_back(std::move(n));
    return static_cast<int>(rule_.nodes_.size() - 1);
  }

  Result<int> parse_or(int depth) {
    auto first = parse_and(depth);
    if (!first.ok()) return first;
    Node node;
    node.kind = Kind::kOr;
    node.children.push_back(*first);
    while (accept_word("OR")) {
      auto next = parse_and(depth);
      if (!next.ok()) return next;
      node.children.push_back(*next);
    }
    if (node.children.size() == 1) return node.children[0];
    return add(std::move(node));
  }

  Result<int> parse_and(int depth) {
    auto first = parse_not(depth);
    if (!first.ok()) return first;
    Node node;
    node.kind = Kind::kAnd;
    node.children.push_back(*first);
    while (accept_word("AND")) {
      auto next = parse_not(depth);
      if (!next.ok()) return next;
      node.children.push_back(*next);
    }
    if (node.children.size() == 1) return node.children[0];
    return add(std::move(node));
  }

  Result<int> parse_not(int depth) {
    if (depth > kMaxRuleDepth) {
      return error(fmt::format("nesting is deeper than {} levels", kMaxRuleDepth));
    }
    if (accept_word("NOT")) {
      auto inner = parse_not(depth + 1);
      if (!inner.ok()) return inner;
      Node node;
      node.kind = Kind::kNot;
      node.children.push_back(*inner);
      return add(std::move(node));
    }
    return parse_primary(depth);
  }

  Result<int> parse_primary(int depth) {
    skip_space();
    if (pos_ >= text_.size()) return error("expected an expression but the rule ended");
    if (text_[pos_] == '(') {
      pos_++;
      auto inner = parse_or(depth + 1);
      if (!inner.ok()) return inner;
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ')') return error("expected ')'");
      pos_++;
      return inner;
    }
    const std::string_view w = peek_word();
    if (w == "TRUE" || w == "FALSE") {
      pos_ += w.size();
      Node node;
      node.kind = w == "TRUE" ? Kind::kTrue : Kind::kFalse;
      return add(std::move(node));
    }
    std::optional<StateValue> state;
    if (w == "ALARM") state = StateValue::kAlarm;
    if (w == "OK") state = StateValue::kOk;
    if (w == "INSUFFICIENT_DATA") state = StateValue::kInsufficientData;
    if (!state) {
      if (w.empty()) return error(fmt::format("unexpected character '{}'", text_[pos_]));
      return error(fmt::format(
          "unknown keyword \"{}\" (expected ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT or "
          "a parenthesis)",
          w.substr(0, 64)));
    }
    pos_ += w.size();
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '(') {
      return error(fmt::format("expected '(' after {}", w));
    }
    pos_++;
    auto ref = parse_ref();
    if (!ref.ok()) return ref.status();
    Node node;
    node.kind = Kind::kTerm;
    node.state = *state;
    auto it = std::find(rule_.refs_.begin(), rule_.refs_.end(), *ref);
    if (it == rule_.refs_.end()) {
      if (rule_.refs_.size() >= kMaxRuleChildren) {
        return error(fmt::format("the rule names more than {} alarms", kMaxRuleChildren));
      }
      rule_.refs_.push_back(*ref);
      it = rule_.refs_.end() - 1;
    }
    node.ref = static_cast<size_t>(it - rule_.refs_.begin());
    return add(std::move(node));
  }

  // After "FUNC(": a quoted or bare alarm ref, then ")".
  Result<std::string> parse_ref() {
    skip_space();
    std::string ref;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      pos_++;
      bool closed = false;
      while (pos_ < text_.size()) {
        char c = text_[pos_++];
        if (c == '\\' && pos_ < text_.size()) {
          ref.push_back(text_[pos_++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          ref.push_back(c);
        }
      }
      if (!closed) return error("unterminated quoted alarm name");
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ')') return error("expected ')' after the name");
      pos_++;
    } else {
      const size_t close = text_.find(')', pos_);
      if (close == std::string_view::npos) return error("expected ')' after the alarm name");
      std::string_view bare = text_.substr(pos_, close - pos_);
      while (!bare.empty() && (bare.back() == ' ' || bare.back() == '\t')) bare.remove_suffix(1);
      if (bare.find_first_of("(\"") != std::string_view::npos) {
        return error("an alarm name containing '(' or '\"' must be quoted");
      }
      ref = std::string(bare);
      pos_ = close + 1;
    }
    if (ref.empty()) return error("the alarm name is empty");
    return ref;
  }

  std::string_view text_;
  size_t pos_ = 0;
  AlarmRule rule_;
};

Result<AlarmRule> AlarmRule::parse(std::string_view text) {
  return RuleParser(text).run();
}

bool AlarmRule::eval_node(int n, const std::function<StateValue(size_t)>& state_of) const {
  const Node& node = nodes_[static_cast<size_t>(n)];
  switch (node.kind) {
    case Kind::kTrue:
      return true;
    case Kind::kFalse:
      return false;
    case Kind::kTerm:
      return state_of(node.ref) == node.state;
    case Kind::kNot:
      return !eval_node(node.children[0], state_of);
    case Kind::kAnd:
      for (int c : node.children) {
        if (!eval_node(c, state_of)) return false;
      }
      return true;
    case Kind::kOr:
      for (int c : node.children) {
        if (eval_node(c, state_of)) return true;
      }
      return false;
  }
  return false;
}

bool AlarmRule::evaluate(const std::function<StateValue(size_t)>& state_of) const {
  if (root_ < 0) return false;
  return eval_node(root_, state_of);
}

std::vector<size_t> AlarmRule::satisfied_refs(
    const std::function<StateValue(size_t)>& state_of) const {
  std::vector<size_t> out;
  for (const Node& node : nodes_) {
    if (node.kind == Kind::kTerm && state_of(node.ref) == node.state &&
        std::find(out.begin(), out.end(), node.ref) == out.end()) {
      out.push_back(node.ref);
    }
  }
  return out;
}

}  // namespace opsight::alarm
