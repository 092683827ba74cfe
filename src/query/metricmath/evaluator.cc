#include "query/metricmath/evaluator.h"

#include <fmt/format.h>

#include <cctype>

#include "query/metricmath/series_ops.h"

namespace opsight::query::metricmath {
namespace {

Result<Value> binary(BinaryOp op, Value l, Value r) {
  using K = Value::Kind;
  if (l.kind == K::kString || r.kind == K::kString) {
    return Status::invalid_argument(
        fmt::format("operator {} cannot be applied to a string", op_name(op)));
  }
  if (l.kind == K::kScalar && r.kind == K::kScalar) {
    return Value::of_scalar(apply_op(op, l.scalar, r.scalar));
  }
  if (l.kind == K::kArray && r.kind == K::kArray) {
    return Status::invalid_argument(fmt::format(
        "operator {} cannot combine two arrays of time series; reduce one with SUM, AVG, MIN, "
        "MAX or SLICE first",
        op_name(op)));
  }
  // One side a series or an array, the other a scalar or a series.
  auto one = [&](const TimeSeries& s, const Value& other, bool other_left) -> TimeSeries {
    if (other.kind == K::kScalar) return combine_scalar(s, other.scalar, op, other_left);
    return other_left ? combine(other.series, s, op) : combine(s, other.series, op);
  };
  if (l.kind == K::kArray) {
    for (auto& s : l.array) s = one(s, r, false);
    return l;
  }
  if (r.kind == K::kArray) {
    for (auto& s : r.array) s = one(s, l, true);
    return r;
  }
  if (l.kind == K::kSeries) return Value::of_series(one(l.series, r, false));
  return Value::of_series(one(r.series, l, true));
}

}  // namespace

Result<Value> evaluate(const Node& node, EvalContext& ctx) {
  switch (node.kind) {
    case Node::Kind::kNumber:
      return Value::of_scalar(node.number);
    case Node::Kind::kString:
      return Value::of_string(node.text);
    case Node::Kind::kIdent: {
      if (node.text.empty() || !std::islower(static_cast<unsigned char>(node.text[0]))) {
        return Status::invalid_argument(fmt::format(
            "\"{}\" is not a query id (ids start with a lower-case letter) nor allowed here",
            node.text));
      }
      if (ctx.ids) {
        if (auto it = ctx.ids->find(node.text); it != ctx.ids->end()) return it->second;
      }
      return Status::invalid_argument(
          fmt::format("unknown metric or expression id \"{}\"", node.text));
    }
    case Node::Kind::kNegate: {
      ASSIGN_OR_RETURN(auto v, evaluate(*node.args[0], ctx));
      return binary(BinaryOp::kMul, Value::of_scalar(-1), std::move(v));
    }
    case Node::Kind::kBinary: {
      ASSIGN_OR_RETURN(auto l, evaluate(*node.args[0], ctx));
      ASSIGN_OR_RETURN(auto r, evaluate(*node.args[1], ctx));
      return binary(node.op, std::move(l), std::move(r));
    }
    case Node::Kind::kArray: {
      std::vector<TimeSeries> out;
      for (const auto& a : node.args) {
        ASSIGN_OR_RETURN(auto v, evaluate(*a, ctx));
        if (v.kind == Value::Kind::kSeries) {
          out.push_back(std::move(v.series));
        } else if (v.kind == Value::Kind::kArray) {
          for (auto& s : v.array) out.push_back(std::move(s));
        } else {
          return Status::invalid_argument(
              fmt::format("an array [...] holds time series or arrays, not {}", kind_name(v.kind)));
        }
      }
      return Value::of_array(std::move(out));
    }
    case Node::Kind::kCall:
      return call_function(node, ctx);
  }
  return Status::internal("unknown node");
}

}  // namespace opsight::query::metricmath
