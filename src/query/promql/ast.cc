#include "query/promql/ast.h"

#include <fmt/format.h>

#include <cmath>

#include "query/promql/function_defs.h"

namespace opsight::query::promql {

std::string_view value_type_name(ValueType t) {
  switch (t) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kString:
      return "string";
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
  }
  return "none";
}

std::string_view binop_name(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
      return "+";
    case BinOp::kSub:
      return "-";
    case BinOp::kMul:
      return "*";
    case BinOp::kDiv:
      return "/";
    case BinOp::kMod:
      return "%";
    case BinOp::kPow:
      return "^";
    case BinOp::kAtan2:
      return "atan2";
    case BinOp::kEql:
      return "==";
    case BinOp::kNeq:
      return "!=";
    case BinOp::kGtr:
      return ">";
    case BinOp::kLss:
      return "<";
    case BinOp::kGte:
      return ">=";
    case BinOp::kLte:
      return "<=";
    case BinOp::kAnd:
      return "and";
    case BinOp::kOr:
      return "or";
    case BinOp::kUnless:
      return "unless";
  }
  return "?";
}

bool is_comparison(BinOp op) {
  return op == BinOp::kEql || op == BinOp::kNeq || op == BinOp::kGtr || op == BinOp::kLss ||
         op == BinOp::kGte || op == BinOp::kLte;
}

bool is_set_operator(BinOp op) {
  return op == BinOp::kAnd || op == BinOp::kOr || op == BinOp::kUnless;
}

std::string_view aggop_name(AggOp op) {
  switch (op) {
    case AggOp::kSum:
      return "sum";
    case AggOp::kAvg:
      return "avg";
    case AggOp::kCount:
      return "count";
    case AggOp::kMin:
      return "min";
    case AggOp::kMax:
      return "max";
    case AggOp::kGroup:
      return "group";
    case AggOp::kStddev:
      return "stddev";
    case AggOp::kStdvar:
      return "stdvar";
    case AggOp::kTopk:
      return "topk";
    case AggOp::kBottomk:
      return "bottomk";
    case AggOp::kQuantile:
      return "quantile";
    case AggOp::kCountValues:
      return "count_values";
  }
  return "?";
}

bool aggop_has_param(AggOp op) {
  return op == AggOp::kTopk || op == AggOp::kBottomk || op == AggOp::kQuantile ||
         op == AggOp::kCountValues;
}

ValueType Node::type() const {
  switch (kind) {
    case NodeKind::kNumber:
      return ValueType::kScalar;
    case NodeKind::kString:
      return ValueType::kString;
    case NodeKind::kVectorSelector:
    case NodeKind::kAggregate:
      return ValueType::kVector;
    case NodeKind::kMatrixSelector:
    case NodeKind::kSubquery:
      return ValueType::kMatrix;
    case NodeKind::kParen:
    case NodeKind::kUnary:
      return args[0]->type();
    case NodeKind::kBinary:
      return args[0]->type() == ValueType::kScalar && args[1]->type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    case NodeKind::kCall:
      return func->return_type;
  }
  return ValueType::kNone;
}

std::string format_duration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  struct Unit {
    int64_t ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{365LL * 24 * 3600 * 1000, "y"},
                                    {7LL * 24 * 3600 * 1000, "w"},
                                    {24LL * 3600 * 1000, "d"},
                                    {3600LL * 1000, "h"},
                                    {60LL * 1000, "m"},
                                    {1000, "s"},
                                    {1, "ms"}};
  for (const auto& u : kUnits) {
    if (ms >= u.ms) {
      out += fmt::format("{}{}", ms / u.ms, u.name);
      ms %= u.ms;
    }
  }
  return out;
}

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string selector_string(const Node& n) {
  std::string out = n.metric_name;
  std::vector<std::string> ms;
  for (const auto& m : n.matchers) {
    if (!n.metric_name.empty() && m.name() == "__name__" &&
        m.type() == storage::MatchType::kEqual && m.value() == n.metric_name) {
      continue;
    }
    std::string_view op = m.type() == storage::MatchType::kEqual        ? "="
                          : m.type() == storage::MatchType::kNotEqual   ? "!="
                          : m.type() == storage::MatchType::kRegexMatch ? "=~"
                                                                        : "!~";
    ms.push_back(fmt::format("{}{}{}", m.name(), op, quote(m.value())));
  }
  if (!ms.empty() || n.metric_name.empty())
    out += "{" + fmt::format("{}", fmt::join(ms, ", ")) + "}";
  return out;
}

std::string modifiers(const Node& n) {
  std::string out;
  if (n.at == AtKind::kTimestamp) {
    out += fmt::format(" @ {:.3f}", static_cast<double>(n.at_ms) / 1000);
  } else if (n.at == AtKind::kStart) {
    out += " @ start()";
  } else if (n.at == AtKind::kEnd) {
    out += " @ end()";
  }
  if (n.offset_ms != 0) out += " offset " + format_duration(n.offset_ms);
  return out;
}

}  // namespace

std::string Node::to_string() const {
  switch (kind) {
    case NodeKind::kNumber:
      return format_number(number);
    case NodeKind::kString:
      return quote(str);
    case NodeKind::kVectorSelector:
      return selector_string(*this) + modifiers(*this);
    case NodeKind::kMatrixSelector:
      return selector_string(*this) + "[" + format_duration(range_ms) + "]" + modifiers(*this);
    case NodeKind::kSubquery:
      return args[0]->to_string() + "[" + format_duration(range_ms) + ":" +
             (step_ms ? format_duration(step_ms) : "") + "]" + modifiers(*this);
    case NodeKind::kParen:
      return "(" + args[0]->to_string() + ")";
    case NodeKind::kUnary:
      return std::string(binop_name(op)) + args[0]->to_string();
    case NodeKind::kBinary: {
      std::string out = args[0]->to_string() + " " + std::string(binop_name(op));
      if (return_bool) out += " bool";
      if (matching.explicit_matching) {
        out += fmt::format(" {}({})", matching.on ? "on" : "ignoring",
                           fmt::join(matching.labels, ", "));
      }
      if (matching.card == Cardinality::kManyToOne || matching.card == Cardinality::kOneToMany) {
        out += fmt::format(" {}({})",
                           matching.card == Cardinality::kManyToOne ? "group_left" : "group_right",
                           fmt::join(matching.include, ", "));
      }
      return out + " " + args[1]->to_string();
    }
    case NodeKind::kAggregate: {
      std::string out(aggop_name(agg));
      if (without || !grouping.empty()) {
        out += fmt::format(" {} ({}) ", without ? "without" : "by", fmt::join(grouping, ", "));
      }
      std::vector<std::string> a;
      for (const auto& arg : args) a.push_back(arg->to_string());
      return out + "(" + fmt::format("{}", fmt::join(a, ", ")) + ")";
    }
    case NodeKind::kCall: {
      std::vector<std::string> a;
      for (const auto& arg : args) a.push_back(arg->to_string());
      return std::string(func->name) + "(" + fmt::format("{}", fmt::join(a, ", ")) + ")";
    }
  }
  return "";
}

}  // namespace opsight::query::promql
