#include "query/insights/eval.h"

#include <re2/re2.h>

#include <cmath>

#include "query/insights/functions.h"

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
  for (auto it = fields_.rbegin(); it != fields_.rend(); ++it) {
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
      return e.literal;
    case ExprKind::kStar:
      return Value::boolean(true);
    case ExprKind::kField: {
      Value v;
      if (env.lookup(e.name, &v)) return v;
      // The CloudWatch documentation's own samples name regex captures `user2` and read them
      // back as `@user2`; a missing @name falls back to name.
      if (e.name.size() > 1 && e.name[0] == '@' && env.lookup(e.name.substr(1), &v)) return v;
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
      auto s = as_text(v);
      if (!s) return Value::boolean(false);
      bool m =
          e.regex ? RE2::PartialMatch(*s, *e.regex) : s->find(e.literal.str) != std::string::npos;
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
          Value ts;
          if (!env.lookup("@timestamp", &ts)) return Value::null();
          Value period = eval(*e.args[0], env, aggregates);
          Value args[2] = {ts, period};
          return call_scalar(Fn::kDatefloor, args);
        }
        default: {
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
    for (char c : e.literal.str) {
      if (c == '"' || c == '\\') s += '\\';
      s += c;
    }
    return s + "\"";
  }
  return display(e.literal).value_or("");
}

}  // namespace

std::string Expr::text() const {
  switch (kind) {
    case ExprKind::kLiteral:
      return literal_text(*this);
    case ExprKind::kField:
      return name;
    case ExprKind::kStar:
      return "*";
    case ExprKind::kUnary:
      return op == "not" ? "not " + args[0]->text() : "-" + args[0]->text();
    case ExprKind::kBinary:
      return args[0]->text() + " " + op + " " + args[1]->text();
    case ExprKind::kIn: {
      std::string s = args[0]->text() + (negated ? " not in [" : " in [");
      for (size_t i = 1; i < args.size(); i++) s += (i > 1 ? ", " : "") + args[i]->text();
      return s + "]";
    }
    case ExprKind::kLike: {
      std::string rhs = regex ? "/" + literal.str + "/" : literal_text(*this);
      return args[0]->text() + (negated ? " not like " : " like ") + rhs;
    }
    case ExprKind::kCall: {
      std::string s = name + "(";
      for (size_t i = 0; i < args.size(); i++) s += (i ? ", " : "") + args[i]->text();
      return s + ")";
    }
  }
  return "";
}

}  // namespace opsight::query::insights
