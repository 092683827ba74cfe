#include "query/insights/eval.h"

#include <re2/re2.h>

#include <cmath>
#include <span>

#include "query/insights/functions.h"
#include "query/insights/text_search.h"

namespace opsight::query::insights {

bool RowEnv::lookup(std::string_view name, Value* out) const {
  for (auto it = row_->rbegin(); it != row_->rend(); ++it) {
    if (it->first == name) {
      *out = it->second;
      return true;
    }
  }
  return false;
}

bool LayerEnv::lookup(std::string_view name, Value* out) const {
  for (auto it = fields_->rbegin(); it != fields_->rend(); ++it) {
    if (it->first == name) {
      *out = it->second;
      return true;
    }
  }
  return base_ && base_->lookup(name, out);
}

namespace {

Value arith(const std::string& op, const Value& a, const Value& b) {
  auto x = as_number(a);
  auto y = as_number(b);
  if (!x || !y) return Value::null();
  double r = 0;
  switch (op[0]) {
    case '+':
      r = *x + *y;
      break;
    case '-':
      r = *x - *y;
      break;
    case '*':
      r = *x * *y;
      break;
    case '/':
      if (*y == 0) return Value::null();
      r = *x / *y;
      break;
    case '%':
      if (*y == 0) return Value::null();
      r = std::fmod(*x, *y);
      break;
    case '^':
      r = std::pow(*x, *y);
      break;
  }
  if (!std::isfinite(r)) return Value::null();
  return Value::number(r);
}

bool compare(const std::string& op, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return false;
  if (op == "=") return values_equal(a, b);
  if (op == "!=") return !values_equal(a, b);
  int c = compare_values(a, b);
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;  // ">="
}

}  // namespace

Value eval(const Expr& e, const Env& env, const AggregateValues* aggregates) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return e.literal.borrow();  // the AST outlives every row
    case ExprKind::kStar:
      return Value::boolean(true);
    case ExprKind::kField: {
      Value v;
      if (env.lookup(e.name, &v)) return v;
      // The CloudWatch documentation's own samples name regex captures `user2` and read them
      // back as `@user2`; a missing @name falls back to name.
      if (e.name.size() > 1 && e.name[0] == '@' &&
          env.lookup(std::string_view(e.name).substr(1), &v)) {
        return v;
      }
      return Value::null();
    }
    case ExprKind::kUnary: {
      Value v = eval(*e.args[0], env, aggregates);
      if (e.op == "not") return Value::boolean(!truthy(v));
      auto n = as_number(v);
      return n ? Value::number(-*n) : Value::null();
    }
    case ExprKind::kBinary: {
      if (e.op == "and") {
        return Value::boolean(truthy(eval(*e.args[0], env, aggregates)) &&
                              truthy(eval(*e.args[1], env, aggregates)));
      }
      if (e.op == "or") {
        return Value::boolean(truthy(eval(*e.args[0], env, aggregates)) ||
                              truthy(eval(*e.args[1], env, aggregates)));
      }
      Value a = eval(*e.args[0], env, aggregates);
      Value b = eval(*e.args[1], env, aggregates);
      if (e.op.size() == 1 && std::string_view("+-*/%^").find(e.op[0]) != std::string_view::npos) {
        return arith(e.op, a, b);
      }
      return Value::boolean(compare(e.op, a, b));
    }
    case ExprKind::kIn: {
      Value v = eval(*e.args[0], env, aggregates);
      if (v.is_null()) return Value::boolean(false);
      bool found = false;
      for (size_t i = 1; i < e.args.size() && !found; i++) {
        found = values_equal(v, eval(*e.args[i], env, aggregates));
      }
      return Value::boolean(found != e.negated);
    }
    case ExprKind::kLike: {
      Value v = eval(*e.args[0], env, aggregates);
      std::string scratch;
      std::string_view s;
      if (!text_view(v, &scratch, &s)) return Value::boolean(false);
      bool m = e.regex ? regex_search(*e.regex, e.regex_prefix, s, nullptr, 0)
                       : contains_text(s, e.literal.sv());
      return Value::boolean(m != e.negated);
    }
    case ExprKind::kCall: {
      if (e.aggregate) {
        if (aggregates) {
          auto it = aggregates->find(&e);
          if (it != aggregates->end()) return it->second;
        }
        return Value::null();
      }
      switch (e.fn) {
        case Fn::kIspresent: {
          return Value::boolean(!eval(*e.args[0], env, aggregates).is_null());
        }
        case Fn::kCoalesce: {
          for (const auto& a : e.args) {
            Value v = eval(*a, env, aggregates);
            if (!v.is_null()) return v;
          }
          return Value::null();
        }
        case Fn::kIf: {
          bool c = truthy(eval(*e.args[0], env, aggregates));
          if (c) return eval(*e.args[1], env, aggregates);
          return e.args.size() > 2 ? eval(*e.args[2], env, aggregates) : Value::null();
        }
        case Fn::kBin: {
          // datefloor(@timestamp, period), without building its argument list: bin() runs per
          // record in `stats ... by bin(...)`.
          Value ts;
          if (!env.lookup("@timestamp", &ts)) return Value::null();
          const Expr& p = *e.args[0];
          auto period = p.kind == ExprKind::kLiteral ? as_number(p.literal)
                                                     : as_number(eval(p, env, aggregates));
          auto t = as_time_ms(ts);
          if (!t || !period || !(*period >= 1) || *period > 9.2e18) return Value::null();
          const auto step = static_cast<int64_t>(*period);
          int64_t q = *t / step;
          if (*t % step != 0 && *t < 0) q--;  // floor division
          return Value::time(q * step);
        }
        default: {
          // Most functions take at most a few arguments: evaluate them without allocating.
          constexpr size_t kInline = 4;
          if (e.args.size() <= kInline) {
            Value args[kInline];
            for (size_t i = 0; i < e.args.size(); i++) args[i] = eval(*e.args[i], env, aggregates);
            return call_scalar(e.fn, std::span<const Value>(args, e.args.size()));
          }
          std::vector<Value> args;
          args.reserve(e.args.size());
          for (const auto& a : e.args) args.push_back(eval(*a, env, aggregates));
          return call_scalar(e.fn, args);
        }
      }
    }
  }
  return Value::null();
}

void collect_fields(const Expr& e, std::vector<std::string>* out) {
  if (e.kind == ExprKind::kField) {
    out->push_back(e.name);
    if (e.name.size() > 1 && e.name[0] == '@') out->push_back(e.name.substr(1));
  }
  if (e.kind == ExprKind::kCall && e.fn == Fn::kBin) out->push_back("@timestamp");
  for (const auto& a : e.args) collect_fields(*a, out);
}

namespace {

std::string literal_text(const Expr& e) {
  if (e.is_duration) return e.name;  // as written: 5m
  if (e.literal.kind == Value::Kind::kString) {
    std::string s = "\"";
    for (char c : e.literal.sv()) {
      if (c == '"' || c == '\\') s += '\\';
      s += c;
    }
    s += '"';
    return s;
  }
  return display(e.literal).value_or("");
}

}  // namespace

// Built with append() rather than chains of operator+ on temporaries: g++ 12 reports a false
// -Werror=restrict inside std::string's operator+ at -O2/-O3 on those.
std::string Expr::text() const {
  std::string s;
  switch (kind) {
    case ExprKind::kLiteral:
      return literal_text(*this);
    case ExprKind::kField:
      return name;
    case ExprKind::kStar:
      return "*";
    case ExprKind::kUnary:
      s.append(op == "not" ? "not " : "-");
      s.append(args[0]->text());
      return s;
    case ExprKind::kBinary:
      s.append(args[0]->text()).append(" ").append(op).append(" ").append(args[1]->text());
      return s;
    case ExprKind::kIn: {
      s.append(args[0]->text()).append(negated ? " not in [" : " in [");
      for (size_t i = 1; i < args.size(); i++) {
        if (i > 1) s.append(", ");
        s.append(args[i]->text());
      }
      s.append("]");
      return s;
    }
    case ExprKind::kLike: {
      s.append(args[0]->text()).append(negated ? " not like " : " like ");
      if (regex) {
        s.append("/").append(literal.sv()).append("/");
      } else {
        s.append(literal_text(*this));
      }
      return s;
    }
    case ExprKind::kCall: {
      s.append(name).append("(");
      for (size_t i = 0; i < args.size(); i++) {
        if (i) s.append(", ");
        s.append(args[i]->text());
      }
      s.append(")");
      return s;
    }
  }
  return s;
}

}  // namespace opsight::query::insights
