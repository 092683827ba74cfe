// Functions over instant vectors and scalars (Prometheus 2.42 functions.go; documented in
// querying/functions): math, clamping, rounding, time and date, label_replace/label_join,
// histogram_quantile on classic buckets, absent, scalar, vector, sort.

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "query/promql/eval.h"
#include "query/promql/function_defs.h"

namespace opsight::query::promql::internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Civil date of a day count since 1970-01-01 (the proleptic Gregorian calendar; algorithm
// from Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms").
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

double date_part(FuncId id, double secs) {
  if (!std::isfinite(secs) || std::fabs(secs) > 1e15) return kNaN;
  int64_t s = static_cast<int64_t>(secs);  // Go: time.Unix(int64(v), 0)
  int64_t days = s / 86400, rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  switch (id) {
    case FuncId::kMinute:
      return static_cast<double>((rem / 60) % 60);
    case FuncId::kHour:
      return static_cast<double>(rem / 3600);
    case FuncId::kDayOfWeek:
      return static_cast<double>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
    case FuncId::kDayOfMonth:
      return d;
    case FuncId::kDaysInMonth: {
      static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
      return m == 2 && leap ? 29 : kDays[m - 1];
    }
    case FuncId::kMonth:
      return m;
    case FuncId::kYear:
      return static_cast<double>(y);
    default:
      return kNaN;
  }
}

// Go's math.Min/Max: NaN if either argument is NaN.
double go_min(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? kNaN : std::min(a, b);
}
double go_max(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? kNaN : std::max(a, b);
}

double round_half_up(double v, double to_nearest) {
  double inv = 1.0 / to_nearest;
  return std::floor(v * inv + 0.5) / inv;
}

// The value of an element-wise function, with its scalar arguments at this step.
double elementwise(FuncId id, double v, double a0, double a1) {
  switch (id) {
    case FuncId::kAbs:
      return std::fabs(v);
    case FuncId::kCeil:
      return std::ceil(v);
    case FuncId::kFloor:
      return std::floor(v);
    case FuncId::kExp:
      return std::exp(v);
    case FuncId::kSqrt:
      return std::sqrt(v);
    case FuncId::kLn:
      return std::log(v);
    case FuncId::kLog2:
      return std::log2(v);
    case FuncId::kLog10:
      return std::log10(v);
    case FuncId::kSin:
      return std::sin(v);
    case FuncId::kCos:
      return std::cos(v);
    case FuncId::kTan:
      return std::tan(v);
    case FuncId::kAsin:
      return std::asin(v);
    case FuncId::kAcos:
      return std::acos(v);
    case FuncId::kAtan:
      return std::atan(v);
    case FuncId::kSinh:
      return std::sinh(v);
    case FuncId::kCosh:
      return std::cosh(v);
    case FuncId::kTanh:
      return std::tanh(v);
    case FuncId::kAsinh:
      return std::asinh(v);
    case FuncId::kAcosh:
      return std::acosh(v);
    case FuncId::kAtanh:
      return std::atanh(v);
    case FuncId::kDeg:
      return v * 180 / M_PI;
    case FuncId::kRad:
      return v * M_PI / 180;
    case FuncId::kSgn:
      return v < 0 ? -1 : v > 0 ? 1 : v;
    case FuncId::kRound:
      return round_half_up(v, a0);
    case FuncId::kClamp:
      return go_max(a0, go_min(a1, v));
    case FuncId::kClampMax:
      return go_min(a0, v);
    case FuncId::kClampMin:
      return go_max(a0, v);
    case FuncId::kMinute:
    case FuncId::kHour:
    case FuncId::kDayOfWeek:
    case FuncId::kDayOfMonth:
    case FuncId::kDaysInMonth:
    case FuncId::kMonth:
    case FuncId::kYear:
      return date_part(id, v);
    default:
      return kNaN;
  }
}

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

// Go's regexp.Expand: $1, ${1}, $name, ${name}, $$.
std::string expand_template(std::string_view tmpl, const RE2& re, const re2::StringPiece* groups,
                            int ngroups) {
  std::string out;
  const auto& named = re.NamedCapturingGroups();
  auto is_name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t i = 0; i < tmpl.size(); i++) {
    if (tmpl[i] != '$') {
      out += tmpl[i];
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '$') {
      out += '$';
      i++;
      continue;
    }
    std::string_view name;
    size_t next;
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      size_t close = tmpl.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += '$';
        continue;
      }
      name = tmpl.substr(i + 2, close - i - 2);
      next = close;
      bool ok = !name.empty();
      for (char c : name) ok = ok && is_name_char(c);
      if (!ok) {
        out += '$';
        continue;
      }
    } else {
      size_t j = i + 1;
      while (j < tmpl.size() && is_name_char(tmpl[j])) j++;
      if (j == i + 1) {
        out += '$';
        continue;
      }
      name = tmpl.substr(i + 1, j - i - 1);
      next = j - 1;
    }
    i = next;
    int idx = -1;
    bool numeric =
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) {
      idx = name.size() > 9 ? -1 : std::stoi(std::string(name));
    } else {
      auto it = named.find(std::string(name));
      if (it != named.end()) idx = it->second;
    }
    if (idx >= 0 && idx < ngroups && groups[idx].data() != nullptr) {
      out.append(groups[idx].data(), groups[idx].size());
    }
  }
  return out;
}

struct Bucket {
  double upper;
  double count;
};

// Prometheus's bucketQuantile for classic histograms.
double bucket_quantile(double q, std::vector<Bucket>& b) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (b.empty() || !std::isinf(b.back().upper) || b.back().upper < 0) return kNaN;
  // Merge buckets with the same bound, then force the counts monotonic.
  std::vector<Bucket> c;
  for (const auto& x : b) {
    if (!c.empty() && c.back().upper == x.upper) {
      c.back().count += x.count;
    } else {
      c.push_back(x);
    }
  }
  double max = -std::numeric_limits<double>::infinity();
  for (auto& x : c) {
    if (x.count > max) {
      max = x.count;
    } else if (x.count < max) {
      x.count = max;
    }
  }
  if (c.size() < 2) return kNaN;
  double observations = c.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t i = 0;
  while (i < c.size() - 1 && !(c[i].count >= rank)) i++;
  if (i == c.size() - 1) return c[c.size() - 2].upper;
  if (i == 0 && c[0].upper <= 0) return c[0].upper;
  double start = 0, end = c[i].upper, count = c[i].count;
  if (i > 0) {
    start = c[i - 1].upper;
    count -= c[i - 1].count;
    rank -= c[i - 1].count;
  }
  return start + (end - start) * (rank / count);
}

}  // namespace

Labels absent_labels(const Node& arg) {
  if (arg.kind != NodeKind::kVectorSelector && arg.kind != NodeKind::kMatrixSelector) return {};
  std::vector<Label> set;
  std::vector<std::string> drop;
  for (const auto& m : arg.matchers) {
    if (m.name() == kMetricName) continue;
    bool has =
        std::any_of(set.begin(), set.end(), [&](const Label& l) { return l.name == m.name(); });
    if (m.type() == storage::MatchType::kEqual && !has) {
      set.push_back({m.name(), m.value()});
    } else {
      drop.push_back(m.name());
    }
  }
  LabelsBuilder b{Labels(set)};
  for (const auto& d : drop) b.del(d);
  return b.build();
}

Result<NodeValue> Evaluator::eval_call(const Node& n, const Steps& steps) {
  const FuncId id = n.func->id;
  for (size_t i = 0; i < n.args.size(); i++) {
    if (n.args[i]->type() == ValueType::kMatrix) return eval_range_call(n, steps, i);
  }
  NodeValue res;
  res.type = n.func->return_type;
  switch (id) {
    case FuncId::kTime:
      for (size_t i = 0; i < steps.count(); i++) {
        res.scalar.push_back(static_cast<double>(steps.at(i)) / 1000);
      }
      return res;
    case FuncId::kPi:
      res.scalar.assign(steps.count(), M_PI);
      return res;
    case FuncId::kVector: {
      ASSIGN_OR_RETURN(NodeValue s, eval(*n.args[0], steps));
      SeriesPoints sp;
      for (size_t i = 0; i < steps.count(); i++) sp.points.push_back({steps.at(i), s.scalar[i]});
      res.series.push_back(std::move(sp));
      return res;
    }
    case FuncId::kScalar: {
      ASSIGN_OR_RETURN(NodeValue v, eval(*n.args[0], steps));
      std::vector<int> seen(steps.count(), 0);
      res.scalar.assign(steps.count(), kNaN);
      for (const auto& s : v.series) {
        for (const auto& p : s.points) {
          size_t i = steps.index(p.t);
          res.scalar[i] = ++seen[i] == 1 ? p.v : kNaN;
        }
      }
      return res;
    }
    case FuncId::kSort:
    case FuncId::kSortDesc:
      // The order is applied to the final result of an instant query (Engine::instant).
      return eval(*n.args[0], steps);
    case FuncId::kLabelReplace:
    case FuncId::kLabelJoin:
      return eval_label_call(n, steps);
    case FuncId::kHistogramQuantile:
      return eval_histogram_quantile(n, steps);
    case FuncId::kAbsent:
      return eval_absent(n, steps);
    case FuncId::kTimestamp: {
      const Node* a = n.args[0].get();
      while (a->kind == NodeKind::kParen) a = a->args[0].get();
      if (a->kind == NodeKind::kVectorSelector) return eval_vector_selector(*a, steps, true);
      ASSIGN_OR_RETURN(NodeValue v, eval(*a, steps));
      SeriesMap m;
      for (const auto& s : v.series) {
        Labels l = drop_metric_name(s.labels);
        for (const auto& p : s.points) {
          RETURN_IF_ERROR(m.add(l, p.t, static_cast<double>(p.t) / 1000));
        }
      }
      res.series = m.take();
      return res;
    }
    default:
      break;
  }
  // Element-wise functions: f(vector, scalar args...) or a date function of time().
  NodeValue in;
  if (n.args.empty()) {
    SeriesPoints sp;
    for (size_t i = 0; i < steps.count(); i++) {
      sp.points.push_back({steps.at(i), static_cast<double>(steps.at(i)) / 1000});
    }
    in.series.push_back(std::move(sp));
  } else {
    ASSIGN_OR_RETURN(in, eval(*n.args[0], steps));
  }
  std::vector<std::vector<double>> scalars;
  for (size_t i = 1; i < n.args.size(); i++) {
    ASSIGN_OR_RETURN(NodeValue v, eval(*n.args[i], steps));
    scalars.push_back(std::move(v.scalar));
  }
  SeriesMap m;
  for (const auto& s : in.series) {
    Labels l = drop_metric_name(s.labels);
    size_t slot = SeriesMap::kNoSlot;
    for (const auto& p : s.points) {
      size_t i = steps.index(p.t);
      double a0 = scalars.size() > 0 ? scalars[0][i] : (id == FuncId::kRound ? 1 : 0);
      double a1 = scalars.size() > 1 ? scalars[1][i] : 0;
      if (id == FuncId::kClamp && a1 < a0) continue;  // max < min: no result
      if (slot == SeriesMap::kNoSlot) slot = m.slot(l);
      RETURN_IF_ERROR(m.add_at(slot, p.t, elementwise(id, p.v, a0, a1)));
    }
  }
  res.series = m.take();
  return res;
}

Result<NodeValue> Evaluator::eval_absent(const Node& n, const Steps& steps) {
  ASSIGN_OR_RETURN(NodeValue v, eval(*n.args[0], steps));
  std::vector<bool> present(steps.count(), false);
  for (const auto& s : v.series) {
    for (const auto& p : s.points) present[steps.index(p.t)] = true;
  }
  NodeValue res;
  res.type = ValueType::kVector;
  SeriesPoints sp;
  sp.labels = absent_labels(*n.args[0]);
  for (size_t i = 0; i < steps.count(); i++) {
    if (!present[i]) sp.points.push_back({steps.at(i), 1});
  }
  if (!sp.points.empty()) res.series.push_back(std::move(sp));
  return res;
}

Result<NodeValue> Evaluator::eval_label_call(const Node& n, const Steps& steps) {
  const bool replace = n.func->id == FuncId::kLabelReplace;
  std::vector<std::string> strs;
  for (size_t i = 1; i < n.args.size(); i++) {
    ASSIGN_OR_RETURN(NodeValue s, eval(*n.args[i], steps));
    strs.push_back(std::move(s.str));
  }
  std::string_view fname = replace ? "label_replace" : "label_join";
  const std::string& dst = strs[0];
  if (!valid_label_name(dst)) {
    return Status::invalid_argument(
        fmt::format("invalid destination label name in {}(): {}", fname, dst));
  }
  std::unique_ptr<RE2> re;
  if (replace) {
    re = std::make_unique<RE2>("^(?:" + strs[3] + ")$", RE2::Quiet);
    if (!re->ok()) {
      return Status::invalid_argument(
          fmt::format("invalid regular expression in label_replace(): {}", strs[3]));
    }
  } else {
    for (size_t i = 2; i < strs.size(); i++) {
      if (!valid_label_name(strs[i])) {
        return Status::invalid_argument(
            fmt::format("invalid source label name in label_join(): {}", strs[i]));
      }
    }
  }
  ASSIGN_OR_RETURN(NodeValue in, eval(*n.args[0], steps));
  SeriesMap m;
  for (const auto& s : in.series) {
    Labels l = s.labels;
    if (replace) {
      std::string src(s.labels.get(strs[2]));
      int ngroups = re->NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups));
      if (re->Match(src, 0, src.size(), RE2::UNANCHORED, groups.data(), ngroups)) {
        std::string value = expand_template(strs[1], *re, groups.data(), ngroups);
        l = LabelsBuilder(s.labels).set(dst, value).build();
      }
    } else {
      std::string value;
      for (size_t i = 2; i < strs.size(); i++) {
        if (i > 2) value += strs[1];
        value += s.labels.get(strs[i]);
      }
      l = LabelsBuilder(s.labels).set(dst, value).build();
    }
    for (const auto& p : s.points) RETURN_IF_ERROR(m.add(l, p.t, p.v));
  }
  NodeValue res;
  res.type = ValueType::kVector;
  res.series = m.take();
  return res;
}

Result<NodeValue> Evaluator::eval_histogram_quantile(const Node& n, const Steps& steps) {
  ASSIGN_OR_RETURN(NodeValue q, eval(*n.args[0], steps));
  ASSIGN_OR_RETURN(NodeValue in, eval(*n.args[1], steps));
  // Per input series: its bucket bound and its histogram (labels without le and the name).
  std::vector<Labels> groups;
  std::vector<int64_t> group_of(in.series.size(), -1);
  std::vector<double> upper(in.series.size(), 0);
  std::map<Labels, size_t> index;
  for (size_t i = 0; i < in.series.size(); i++) {
    const Labels& l = in.series[i].labels;
    if (!l.has("le")) continue;
    std::string le(l.get("le"));
    char* end = nullptr;
    double ub = std::strtod(le.c_str(), &end);
    if (end == le.c_str() || *end != '\0') continue;
    upper[i] = ub;
    Labels g = LabelsBuilder(l).del("le").del(kMetricName).build();
    auto [it, inserted] = index.emplace(g, groups.size());
    if (inserted) groups.push_back(std::move(g));
    group_of[i] = static_cast<int64_t>(it->second);
  }
  StepPoints per_step = by_step(in.series, steps);
  std::vector<std::vector<Bucket>> buckets(groups.size());
  std::vector<size_t> touched;
  SeriesMap out;
  for (size_t si = 0; si < per_step.size(); si++) {
    touched.clear();
    for (const auto& [i, v] : per_step[si]) {
      if (group_of[i] < 0) continue;
      auto g = static_cast<size_t>(group_of[i]);
      if (buckets[g].empty()) touched.push_back(g);
      buckets[g].push_back({upper[i], v});
    }
    for (size_t g : touched) {
      RETURN_IF_ERROR(out.add(groups[g], steps.at(si), bucket_quantile(q.scalar[si], buckets[g])));
      buckets[g].clear();
    }
  }
  NodeValue res;
  res.type = ValueType::kVector;
  res.series = out.take();
  return res;
}

}  // namespace opsight::query::promql::internal
