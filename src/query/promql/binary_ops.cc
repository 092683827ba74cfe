// Binary operators (Prometheus 2.42 engine.go: scalarBinop, VectorscalarBinop, VectorBinop,
// VectorAnd/Or/Unless, resultMetric; semantics in querying/operators).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "query/promql/eval.h"

namespace opsight::query::promql::internal {
namespace {

// Prometheus 2.42's shouldDropMetricName: the arithmetic operators but atan2, which keeps the
// metric name (its own testdata: `trigy atan2 trigx` -> `trigy{}`); found by the differential
// test against 2.42.
bool drops_metric_name(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
    case BinOp::kSub:
    case BinOp::kMul:
    case BinOp::kDiv:
    case BinOp::kMod:
    case BinOp::kPow:
      return true;
    default:
      return false;
  }
}

// The value of `l op r` and whether a comparison keeps the element.
std::pair<double, bool> elem_binop(BinOp op, double l, double r) {
  switch (op) {
    case BinOp::kAdd:
      return {l + r, true};
    case BinOp::kSub:
      return {l - r, true};
    case BinOp::kMul:
      return {l * r, true};
    case BinOp::kDiv:
      return {l / r, true};
    case BinOp::kPow:
      return {std::pow(l, r), true};
    case BinOp::kMod:
      return {std::fmod(l, r), true};
    case BinOp::kAtan2:
      return {std::atan2(l, r), true};
    case BinOp::kEql:
      return {l, l == r};
    case BinOp::kNeq:
      return {l, l != r};
    case BinOp::kGtr:
      return {l, l > r};
    case BinOp::kLss:
      return {l, l < r};
    case BinOp::kGte:
      return {l, l >= r};
    case BinOp::kLte:
      return {l, l <= r};
    default:
      return {0, false};
  }
}

// The matching signature of a series: the on() labels, or all but the ignoring() labels and
// the metric name.
std::string signature(const Labels& l, const VectorMatching& m) {
  std::string sig;
  auto listed = [&](const std::string& name) {
    return std::find(m.labels.begin(), m.labels.end(), name) != m.labels.end();
  };
  for (const auto& x : l) {
    bool use = m.on ? listed(x.name) : (x.name != kMetricName && !listed(x.name));
    if (!use) continue;
    sig += x.name;
    sig += '\xff';
    sig += x.value;
    sig += '\xff';
  }
  return sig;
}

Labels result_metric(const Labels& lhs, const Labels& rhs, BinOp op, const VectorMatching& m) {
  LabelsBuilder b(lhs);
  if (drops_metric_name(op)) b.del(kMetricName);
  if (m.card == Cardinality::kOneToOne) {
    if (m.on) {
      for (const auto& x : lhs) {
        if (std::find(m.labels.begin(), m.labels.end(), x.name) == m.labels.end()) b.del(x.name);
      }
    } else {
      for (const auto& name : m.labels) b.del(name);
    }
  }
  for (const auto& name : m.include) {
    std::string_view v = rhs.get(name);
    if (!v.empty()) {
      b.set(name, v);
    } else {
      b.del(name);
    }
  }
  return b.build();
}

}  // namespace

Result<NodeValue> Evaluator::eval_binary(const Node& n, const Steps& steps) {
  ASSIGN_OR_RETURN(NodeValue lhs, eval(*n.args[0], steps));
  ASSIGN_OR_RETURN(NodeValue rhs, eval(*n.args[1], steps));
  const BinOp op = n.op;
  if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
    NodeValue out;
    out.type = ValueType::kScalar;
    out.scalar.resize(lhs.scalar.size());
    for (size_t i = 0; i < lhs.scalar.size(); i++) {
      auto [v, keep] = elem_binop(op, lhs.scalar[i], rhs.scalar[i]);
      out.scalar[i] = is_comparison(op) ? (keep ? 1 : 0) : v;
    }
    return out;
  }
  if (lhs.type == ValueType::kVector && rhs.type == ValueType::kVector) {
    return eval_vector_binary(n, steps, lhs, rhs);
  }
  // Vector and scalar: series by series.
  bool swap = lhs.type == ValueType::kScalar;
  const NodeValue& vec = swap ? rhs : lhs;
  const std::vector<double>& sc = swap ? lhs.scalar : rhs.scalar;
  SeriesMap m;
  for (const auto& s : vec.series) {
    Labels l = drops_metric_name(op) || n.return_bool ? drop_metric_name(s.labels) : s.labels;
    size_t slot = SeriesMap::kNoSlot;
    for (const auto& p : s.points) {
      double lv = p.v, rv = sc[steps.index(p.t)];
      if (swap) std::swap(lv, rv);
      auto [v, keep] = elem_binop(op, lv, rv);
      // A comparison keeps the vector element's value even when the vector is on the right.
      if (is_comparison(op) && swap) v = rv;
      if (n.return_bool) {
        v = keep ? 1 : 0;
        keep = true;
      }
      if (!keep) continue;
      if (slot == SeriesMap::kNoSlot) slot = m.slot(l);
      RETURN_IF_ERROR(m.add_at(slot, p.t, v));
    }
  }
  NodeValue out;
  out.type = ValueType::kVector;
  out.series = m.take();
  return out;
}

Result<NodeValue> Evaluator::eval_vector_binary(const Node& n, const Steps& steps,
                                                const NodeValue& lhs, const NodeValue& rhs) {
  const VectorMatching& matching = n.matching;
  std::vector<std::string> lsig(lhs.series.size()), rsig(rhs.series.size());
  for (size_t i = 0; i < lhs.series.size(); i++)
    lsig[i] = signature(lhs.series[i].labels, matching);
  for (size_t i = 0; i < rhs.series.size(); i++)
    rsig[i] = signature(rhs.series[i].labels, matching);
  StepPoints lsteps = by_step(lhs.series, steps);
  StepPoints rsteps = by_step(rhs.series, steps);
  SeriesMap out;
  // Output slots of the input series (set operators pass them through).
  std::vector<size_t> lslot(lhs.series.size(), SeriesMap::kNoSlot);
  std::vector<size_t> rslot(rhs.series.size(), SeriesMap::kNoSlot);
  auto pass = [&](const Matrix& m, std::vector<size_t>& slots, size_t i, int64_t t, double v) {
    if (slots[i] == SeriesMap::kNoSlot) slots[i] = out.slot(m[i].labels);
    return out.add_at(slots[i], t, v);
  };
  std::unordered_map<uint64_t, size_t> metric_cache;
  std::unordered_map<std::string_view, size_t> rmap;
  std::unordered_set<std::string_view> sigs;
  for (size_t si = 0; si < steps.count(); si++) {
    if ((si & 63) == 0) RETURN_IF_ERROR(check());
    int64_t ts = steps.at(si);
    const auto& L = lsteps[si];
    const auto& R = rsteps[si];
    switch (n.op) {
      case BinOp::kAnd: {
        if (L.empty() || R.empty()) break;
        sigs.clear();
        for (const auto& [j, v] : R) sigs.insert(rsig[j]);
        for (const auto& [i, v] : L) {
          if (sigs.count(lsig[i])) RETURN_IF_ERROR(pass(lhs.series, lslot, i, ts, v));
        }
        break;
      }
      case BinOp::kOr: {
        sigs.clear();
        for (const auto& [i, v] : L) {
          sigs.insert(lsig[i]);
          RETURN_IF_ERROR(pass(lhs.series, lslot, i, ts, v));
        }
        for (const auto& [j, v] : R) {
          if (!sigs.count(rsig[j])) RETURN_IF_ERROR(pass(rhs.series, rslot, j, ts, v));
        }
        break;
      }
      case BinOp::kUnless: {
        sigs.clear();
        for (const auto& [j, v] : R) sigs.insert(rsig[j]);
        for (const auto& [i, v] : L) {
          if (!sigs.count(lsig[i])) RETURN_IF_ERROR(pass(lhs.series, lslot, i, ts, v));
        }
        break;
      }
      default: {
        if (L.empty() || R.empty()) break;
        // The "one" side is hashed; for group_right the sides swap.
        bool one_to_many = matching.card == Cardinality::kOneToMany;
        const auto& many = one_to_many ? R : L;
        const auto& one = one_to_many ? L : R;
        const auto& many_sig = one_to_many ? rsig : lsig;
        const auto& one_sig = one_to_many ? lsig : rsig;
        const Matrix& many_series = one_to_many ? rhs.series : lhs.series;
        const Matrix& one_series = one_to_many ? lhs.series : rhs.series;
        rmap.clear();
        for (size_t k = 0; k < one.size(); k++) {
          auto [it, inserted] = rmap.emplace(one_sig[one[k].first], k);
          if (!inserted) {
            return Status::invalid_argument(fmt::format(
                "found duplicate series for the match group on the {} hand-side of the "
                "operation: [{}, {}];many-to-many matching not allowed: matching labels must be "
                "unique on one side",
                one_to_many ? "left" : "right", one_series[one[k].first].labels.to_string(),
                one_series[one[it->second].first].labels.to_string()));
          }
        }
        std::unordered_map<std::string_view, std::unordered_set<uint64_t>> matched;
        for (const auto& [i, mv] : many) {
          auto it = rmap.find(many_sig[i]);
          if (it == rmap.end()) continue;
          auto [j, ov] = one[it->second];
          double vl = mv, vr = ov;
          if (one_to_many) std::swap(vl, vr);
          auto [v, keep] = elem_binop(n.op, vl, vr);
          if (n.return_bool) {
            v = keep ? 1 : 0;
          } else if (!keep) {
            continue;
          }
          uint64_t key = (static_cast<uint64_t>(i) << 32) | j;
          auto cached = metric_cache.find(key);
          if (cached == metric_cache.end()) {
            Labels metric =
                result_metric(many_series[i].labels, one_series[j].labels, n.op, matching);
            if (n.return_bool) metric = drop_metric_name(metric);
            cached = metric_cache.emplace(key, out.slot(metric)).first;
          }
          const size_t slot = cached->second;  // one slot per output label set
          auto& inserted = matched[many_sig[i]];
          if (matching.card == Cardinality::kOneToOne) {
            if (!inserted.empty()) {
              return Status::invalid_argument(
                  "multiple matches for labels: many-to-one matching must be explicit "
                  "(group_left/group_right)");
            }
            inserted.insert(0);
          } else if (!inserted.insert(slot).second) {
            return Status::invalid_argument(
                "multiple matches for labels: grouping labels must ensure unique matches");
          }
          RETURN_IF_ERROR(out.add_at(slot, ts, v));
        }
      }
    }
  }
  NodeValue res;
  res.type = ValueType::kVector;
  res.series = out.take();
  return res;
}

}  // namespace opsight::query::promql::internal
