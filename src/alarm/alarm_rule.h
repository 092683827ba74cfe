#pragma once
// Composite alarm rule expressions (Amazon CloudWatch API reference, PutCompositeAlarm,
// AlarmRule; user guide "Creating a composite alarm"):
//
//   rule    := or
//   or      := and ("OR" and)*
//   and     := not ("AND" not)*
//   not     := "NOT" not | primary
//   primary := "(" rule ")" | "TRUE" | "FALSE" | func "(" ref ")"
//   func    := "ALARM" | "OK" | "INSUFFICIENT_DATA"
//   ref     := '"' chars '"'   (\" and \\ escape)   |   bare chars up to ")" (trimmed)
//
// A ref is an alarm name or an alarm ARN. Keywords are upper case, as in CloudWatch. NOT binds
// tighter than AND, AND tighter than OR. ALARM(x) is TRUE when x is in ALARM, OK(x) when x is
// OK, INSUFFICIENT_DATA(x) when x is INSUFFICIENT_DATA.
//
// Limits: the rule is at most kMaxAlarmRuleBytes (checked by the model), at most
// kMaxRuleChildren distinct refs and kMaxRuleDepth nested parentheses/NOTs (so evaluation
// recursion is bounded). AND/OR chains are n-ary nodes, not nested ones.
//
// Thread safety: an AlarmRule is immutable after parse(); evaluate() may run concurrently.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm_types.h"
#include "common/status.h"

namespace opsight::alarm {

inline constexpr size_t kMaxRuleChildren = 100;
inline constexpr int kMaxRuleDepth = 64;

class AlarmRule {
 public:
  // InvalidArgument "ValidationError: AlarmRule ... at offset N" on a syntax error.
  static Result<AlarmRule> parse(std::string_view text);

  // The distinct alarm refs as written (names or ARNs), in order of first appearance.
  const std::vector<std::string>& refs() const { return refs_; }

  // `state_of(i)` is the state of refs()[i].
  bool evaluate(const std::function<StateValue(size_t ref_index)>& state_of) const;

  // The refs whose function term is TRUE right now (indexes into refs()): the alarms a
  // composite names as "triggeringAlarms" in its reason data.
  std::vector<size_t> satisfied_refs(
      const std::function<StateValue(size_t ref_index)>& state_of) const;

 private:
  enum class Kind : uint8_t { kTrue, kFalse, kTerm, kNot, kAnd, kOr };
  struct Node {
    Kind kind = Kind::kTrue;
    StateValue state = StateValue::kAlarm;  // kTerm
    size_t ref = 0;                         // kTerm
    std::vector<int> children;              // kNot (1), kAnd/kOr (>= 2)
  };
  friend class RuleParser;
  bool eval_node(int n, const std::function<StateValue(size_t)>& state_of) const;

  std::vector<Node> nodes_;
  int root_ = -1;
  std::vector<std::string> refs_;
};

}  // namespace opsight::alarm
