// Aggregation operators (Prometheus 2.42 engine.go aggregation(); querying/operators
// "Aggregation operators"): sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk,
// quantile, count_values, with by/without.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "query/promql/eval.h"
#include "query/promql/function_defs.h"

namespace opsight::query::promql::internal {
namespace {

bool valid_label_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// The grouping labels of a series; `extra` is one more `by` label (count_values).
Labels group_labels(const Labels& l, const Node& n, std::string_view extra = {}) {
  auto listed = [&](std::string_view name) {
    return (!extra.empty() && name == extra) ||
           std::find(n.grouping.begin(), n.grouping.end(), name) != n.grouping.end();
  };
  std::vector<Label> out;
  for (const auto& x : l) {
    bool keep = n.without ? (x.name != kMetricName && !listed(x.name)) : listed(x.name);
    if (keep) out.push_back(x);
  }
  return Labels::from_sorted(std::move(out));
}

// topk/bottomk's k must convert to int64 (Prometheus's convertibleToInt64: the largest double
// below 2^63, and -2^63).
Status check_topk_param(double k) {
  if (k >= -9223372036854775808.0 && k <= 9223372036854774784.0) return OkStatus();
  std::string v = std::isnan(k)   ? "NaN"
                  : std::isinf(k) ? (k > 0 ? "+Inf" : "-Inf")
                                  : fmt::format("{}", k);
  return Status::invalid_argument(fmt::format("Scalar value {} overflows int64", v));
}

struct Acc {
  double value = 0;
  double mean = 0;
  double count = 0;
  bool seen = false;
};

// Folds v into a (Prometheus's aggregation() for the ops without a parameter, in input order).
inline void acc_add(AggOp op, Acc& a, double v) {
  if (!a.seen) {
    a = Acc{v, v, 1, true};
    if (op == AggOp::kGroup) a.value = 1;
    if (op == AggOp::kStddev || op == AggOp::kStdvar) a.value = 0;
    return;
  }
  switch (op) {
    case AggOp::kSum:
      a.value += v;
      break;
    case AggOp::kAvg:
      a.count++;
      if (std::isinf(a.mean)) {
        if (std::isinf(v) && (a.mean > 0) == (v > 0)) break;
        if (!std::isinf(v) && !std::isnan(v)) break;
      }
      a.mean += v / a.count - a.mean / a.count;
      break;
    case AggOp::kCount:
      a.count++;
      break;
    case AggOp::kMin:
      if (a.value > v || std::isnan(a.value)) a.value = v;
      break;
    case AggOp::kMax:
      if (a.value < v || std::isnan(a.value)) a.value = v;
      break;
    case AggOp::kStddev:
    case AggOp::kStdvar: {
      a.count++;
      double delta = v - a.mean;
      a.mean += delta / a.count;
      a.value += delta * (v - a.mean);
      break;
    }
    default:
      break;
  }
}

inline double acc_result(AggOp op, const Acc& a) {
  switch (op) {
    case AggOp::kAvg:
      return a.mean;
    case AggOp::kCount:
      return a.count;
    case AggOp::kStdvar:
      return a.value / a.count;
    case AggOp::kStddev:
      return std::sqrt(a.value / a.count);
    default:
      return a.value;
  }
}

bool foldable(AggOp op) {
  switch (op) {
    case AggOp::kSum:
    case AggOp::kAvg:
    case AggOp::kCount:
    case AggOp::kMin:
    case AggOp::kMax:
    case AggOp::kGroup:
    case AggOp::kStddev:
    case AggOp::kStdvar:
      return true;
    default:
      return false;
  }
}

// Thrown away by eval_fused_aggregate when the fused plan meets a case it does not handle.
constexpr std::string_view kNotFusable = "promql-internal: not fusable";

// Folds a range function's output series into per-group, per-step accumulators as they come
// (eval_fused_aggregate). For a group and a step, values arrive in input-series order, as in
// the step-by-step aggregation, so every result is bit-identical to it.
class FoldSink final : public PointSink {
 public:
  FoldSink(const Node& n, size_t steps) : n_(n), steps_(steps) {}

  Status begin(const Labels& labels) override {
    // Two input series with one label set are an error of the function's output when they
    // share a step; leave that (and hash collisions) to the unfused evaluation.
    if (!seen_series_.insert(labels.hash()).second) {
      return Status::internal(std::string(kNotFusable));
    }
    ordinal_++;
    Labels g = group_labels(labels, n_);
    auto& candidates = index_[g.hash()];
    for (size_t i : candidates) {
      if (groups_[i].labels == g) {
        cur_ = &groups_[i];
        return OkStatus();
      }
    }
    candidates.push_back(groups_.size());
    groups_.push_back(Group{std::move(g), std::vector<Acc>(steps_), kNever, 0});
    cur_ = &groups_.back();
    return OkStatus();
  }

  void add(size_t step, double v) override {
    Group& g = *cur_;
    if (step < g.first_step) {
      g.first_step = step;
      g.first_ordinal = ordinal_;
    }
    acc_add(n_.agg, g.acc[step], v);
  }

  // The result series, in the order the step-by-step aggregation creates them (by the first
  // step with a value, then by the input series that made it).
  Result<Matrix> take(const Steps& steps) {
    std::vector<Group*> order;
    for (auto& g : groups_) {
      if (g.first_step != kNever) order.push_back(&g);
    }
    std::sort(order.begin(), order.end(), [](const Group* a, const Group* b) {
      return a->first_step != b->first_step ? a->first_step < b->first_step
                                            : a->first_ordinal < b->first_ordinal;
    });
    Matrix out;
    out.reserve(order.size());
    for (Group* g : order) {
      SeriesPoints sp;
      sp.labels = std::move(g->labels);
      for (size_t i = g->first_step; i < steps_; i++) {
        if (g->acc[i].seen) sp.points.push_back({steps.at(i), acc_result(n_.agg, g->acc[i])});
      }
      std::vector<Acc>().swap(g->acc);
      out.push_back(std::move(sp));
    }
    return out;
  }

 private:
  static constexpr size_t kNever = ~size_t{0};
  struct Group {
    Labels labels;
    std::vector<Acc> acc;  // per step
    size_t first_step;
    size_t first_ordinal;
  };
  const Node& n_;
  const size_t steps_;
  std::unordered_map<uint64_t, std::vector<size_t>> index_;  // label hash -> groups
  std::deque<Group> groups_;                                 // stable addresses
  std::unordered_set<uint64_t> seen_series_;
  Group* cur_ = nullptr;
  size_t ordinal_ = 0;
};

}  // namespace

Result<std::optional<NodeValue>> Evaluator::eval_fused_aggregate(const Node& n,
                                                                 const Steps& steps) {
  if (!foldable(n.agg) || n.args.size() != 1) return std::optional<NodeValue>();
  const Node* arg = n.args[0].get();
  while (arg->kind == NodeKind::kParen) arg = arg->args[0].get();
  if (arg->kind != NodeKind::kCall || arg->func->id == FuncId::kAbsentOverTime) {
    return std::optional<NodeValue>();
  }
  size_t matrix_arg = arg->args.size();
  for (size_t i = 0; i < arg->args.size(); i++) {
    if (arg->args[i]->type() == ValueType::kMatrix) matrix_arg = i;
  }
  if (matrix_arg == arg->args.size()) return std::optional<NodeValue>();
  const size_t before = samples_;
  FoldSink sink(n, steps.count());
  auto r = eval_range_call(*arg, steps, matrix_arg, &sink);
  samples_ = before;
  if (!r.ok()) {
    if (r.status().message() == kNotFusable) return std::optional<NodeValue>();
    return r.status();
  }
  NodeValue res;
  res.type = ValueType::kVector;
  ASSIGN_OR_RETURN(res.series, sink.take(steps));
  return std::optional<NodeValue>(std::move(res));
}

// Prometheus's quantile over a set of values (linear interpolation between closest ranks).
double quantile_of(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && !std::isnan(b);
    return a < b;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

Result<NodeValue> Evaluator::eval_aggregate(const Node& n, const Steps& steps) {
  {
    ASSIGN_OR_RETURN(auto fused, eval_fused_aggregate(n, steps));
    if (fused.has_value()) return std::move(*fused);
  }
  NodeValue param;
  if (n.args.size() == 2) {
    ASSIGN_OR_RETURN(param, eval(*n.args[0], steps));
  }
  ASSIGN_OR_RETURN(NodeValue in, eval(*n.args.back(), steps));
  if (n.agg == AggOp::kCountValues && !valid_label_name(param.str)) {
    return Status::invalid_argument(fmt::format("invalid label name \"{}\"", param.str));
  }
  // Groups, computed once per input series.
  std::vector<Labels> groups;
  std::vector<uint32_t> group_of(in.series.size());
  {
    std::map<Labels, uint32_t> index;
    for (size_t i = 0; i < in.series.size(); i++) {
      Labels g = group_labels(in.series[i].labels, n);
      auto [it, inserted] = index.emplace(g, static_cast<uint32_t>(groups.size()));
      if (inserted) groups.push_back(std::move(g));
      group_of[i] = it->second;
    }
  }
  if (n.agg == AggOp::kTopk || n.agg == AggOp::kBottomk) {
    // Prometheus checks k at every step, also where the vector is empty (aggregation() tests
    // the parameter before it looks at the samples), so one bad step fails the whole query.
    for (double k : param.scalar) RETURN_IF_ERROR(check_topk_param(k));
  }
  StepPoints per_step = by_step(in.series, steps);
  SeriesMap out;
  // Output slots of the groups and (topk/bottomk) of the input series, resolved once.
  std::vector<size_t> group_slot(groups.size(), SeriesMap::kNoSlot);
  std::vector<size_t> series_slot;
  if (n.agg == AggOp::kTopk || n.agg == AggOp::kBottomk) {
    series_slot.assign(in.series.size(), SeriesMap::kNoSlot);
  }
  auto add_group = [&](uint32_t g, int64_t t, double v) {
    if (group_slot[g] == SeriesMap::kNoSlot) group_slot[g] = out.slot(groups[g]);
    return out.add_at(group_slot[g], t, v);
  };
  std::vector<Acc> acc(groups.size());
  std::vector<uint32_t> touched;
  std::vector<std::vector<std::pair<double, uint32_t>>> members(groups.size());
  for (size_t si = 0; si < per_step.size(); si++) {
    if ((si & 63) == 0) RETURN_IF_ERROR(check());
    int64_t ts = steps.at(si);
    const auto& pts = per_step[si];
    if (pts.empty()) continue;
    touched.clear();
    if (n.agg == AggOp::kCountValues) {
      // Prometheus sets the value label on each sample first, then groups (with `by`, the
      // value label joins the grouping labels).
      std::map<Labels, double> counts;
      for (const auto& [i, v] : pts) {
        Labels l = LabelsBuilder(in.series[i].labels).set(param.str, format_float_go(v)).build();
        counts[group_labels(l, n, n.without ? std::string_view() : param.str)] += 1;
      }
      for (const auto& [l, c] : counts) RETURN_IF_ERROR(out.add(l, ts, c));
      continue;
    }
    switch (n.agg) {
      case AggOp::kTopk:
      case AggOp::kBottomk:
      case AggOp::kQuantile: {
        for (const auto& [i, v] : pts) {
          uint32_t g = group_of[i];
          if (members[g].empty()) touched.push_back(g);
          members[g].emplace_back(v, i);
        }
        for (uint32_t g : touched) {
          auto& mem = members[g];
          if (n.agg == AggOp::kQuantile) {
            std::vector<double> vals;
            vals.reserve(mem.size());
            for (const auto& m : mem) vals.push_back(m.first);
            RETURN_IF_ERROR(add_group(g, ts, quantile_of(param.scalar[si], vals)));
          } else {
            int64_t kk = static_cast<int64_t>(param.scalar[si]);  // checked above
            if (kk >= 1) {
              bool top = n.agg == AggOp::kTopk;
              // Highest (lowest) first; NaN always last; ties keep input order (members are
              // in input order, .second ascending, so it is the tiebreaker). Only the first k
              // are ordered: O(m log k), no allocation.
              size_t take = std::min(mem.size(), static_cast<size_t>(kk));
              std::partial_sort(mem.begin(), mem.begin() + static_cast<long>(take), mem.end(),
                                [top](const auto& a, const auto& b) {
                                  bool an = std::isnan(a.first), bn = std::isnan(b.first);
                                  if (an != bn) return bn;
                                  if (!an && a.first != b.first) {
                                    return top ? a.first > b.first : a.first < b.first;
                                  }
                                  return a.second < b.second;
                                });
              for (size_t x = 0; x < take; x++) {
                uint32_t i = mem[x].second;
                if (series_slot[i] == SeriesMap::kNoSlot) {
                  series_slot[i] = out.slot(in.series[i].labels);
                }
                RETURN_IF_ERROR(out.add_at(series_slot[i], ts, mem[x].first));
              }
            }
          }
          mem.clear();
        }
        break;
      }
      default: {
        for (const auto& [i, v] : pts) {
          uint32_t g = group_of[i];
          if (!acc[g].seen) touched.push_back(g);
          acc_add(n.agg, acc[g], v);
        }
        for (uint32_t g : touched) {
          double v = acc_result(n.agg, acc[g]);
          acc[g].seen = false;
          RETURN_IF_ERROR(add_group(g, ts, v));
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
