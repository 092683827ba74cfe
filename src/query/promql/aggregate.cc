// Aggregation operators (Prometheus 2.42 engine.go aggregation(); querying/operators
// "Aggregation operators"): sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk,
// quantile, count_values, with by/without.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "query/promql/eval.h"

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

}  // namespace

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
              // Highest (lowest) first; NaN always last; ties keep input order.
              std::stable_sort(mem.begin(), mem.end(), [top](const auto& a, const auto& b) {
                if (std::isnan(a.first) || std::isnan(b.first)) {
                  return !std::isnan(a.first) && std::isnan(b.first);
                }
                return top ? a.first > b.first : a.first < b.first;
              });
              size_t take = std::min(mem.size(), static_cast<size_t>(kk));
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
          Acc& a = acc[g];
          if (!a.seen) {
            touched.push_back(g);
            a = Acc{v, v, 1, true};
            if (n.agg == AggOp::kGroup) a.value = 1;
            if (n.agg == AggOp::kStddev || n.agg == AggOp::kStdvar) a.value = 0;
            continue;
          }
          switch (n.agg) {
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
        for (uint32_t g : touched) {
          Acc& a = acc[g];
          double v = a.value;
          switch (n.agg) {
            case AggOp::kAvg:
              v = a.mean;
              break;
            case AggOp::kCount:
              v = a.count;
              break;
            case AggOp::kStdvar:
              v = a.value / a.count;
              break;
            case AggOp::kStddev:
              v = std::sqrt(a.value / a.count);
              break;
            default:
              break;
          }
          a.seen = false;
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
