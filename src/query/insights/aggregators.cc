#include "query/insights/aggregators.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include "query/insights/functions.h"

namespace opsight::query::insights {
namespace {

Status over_budget(const ValueBudget& b, std::string_view fn) {
  return Status::resource_exhausted(
      std::string(fn) + " keeps at most " + std::to_string(b.max_values) +
      " values per query (ExecOptions::max_values); narrow the time range or the groups");
}

class CountAgg : public Aggregator {
 public:
  Status add(const Value& v, std::optional<int64_t>, ValueBudget*) override {
    if (!v.is_null()) n_++;
    return OkStatus();
  }
  Value result() const override { return Value::number(static_cast<double>(n_)); }
  std::unique_ptr<Aggregator> clone() const override { return std::make_unique<CountAgg>(*this); }

 private:
  uint64_t n_ = 0;
};

// sum, avg, stddev over the values that read as numbers (Welford's online mean/variance).
class MomentsAgg : public Aggregator {
 public:
  explicit MomentsAgg(Fn fn) : fn_(fn) {}
  Status add(const Value& v, std::optional<int64_t>, ValueBudget*) override {
    auto x = as_number(v);
    if (!x || !std::isfinite(*x)) return OkStatus();
    n_++;
    sum_ += *x;
    double d = *x - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (*x - mean_);
    return OkStatus();
  }
  Value result() const override {
    if (n_ == 0) return Value::null();
    if (fn_ == Fn::kSum) return Value::number(sum_);
    if (fn_ == Fn::kAvg) return Value::number(sum_ / static_cast<double>(n_));
    return Value::number(n_ < 2 ? 0.0 : std::sqrt(m2_ / static_cast<double>(n_ - 1)));
  }
  std::unique_ptr<Aggregator> clone() const override { return std::make_unique<MomentsAgg>(*this); }

 private:
  Fn fn_;
  uint64_t n_ = 0;
  double sum_ = 0, mean_ = 0, m2_ = 0;
};

// min, max, sortsFirst, sortsLast: numerically when values read as numbers, else by text.
class ExtremeAgg : public Aggregator {
 public:
  explicit ExtremeAgg(bool want_max) : want_max_(want_max) {}
  Status add(const Value& v, std::optional<int64_t>, ValueBudget*) override {
    if (v.is_null()) return OkStatus();
    if (!best_) {
      best_ = v.owned();
    } else {
      int c = compare_values(v, *best_);
      if (want_max_ ? c > 0 : c < 0) best_ = v.owned();
    }
    return OkStatus();
  }
  Value result() const override { return best_ ? *best_ : Value::null(); }
  std::unique_ptr<Aggregator> clone() const override { return std::make_unique<ExtremeAgg>(*this); }

 private:
  bool want_max_;
  std::optional<Value> best_;
};

// earliest, latest: the value of the row with the smallest / largest @timestamp (the first seen
// among ties).
class TimeAgg : public Aggregator {
 public:
  explicit TimeAgg(bool latest) : latest_(latest) {}
  Status add(const Value& v, std::optional<int64_t> ts, ValueBudget*) override {
    if (v.is_null()) return OkStatus();
    int64_t t = ts.value_or(0);
    if (!best_ || (latest_ ? t > ts_ : t < ts_)) {
      best_ = v.owned();
      ts_ = t;
    }
    return OkStatus();
  }
  Value result() const override { return best_ ? *best_ : Value::null(); }
  std::unique_ptr<Aggregator> clone() const override { return std::make_unique<TimeAgg>(*this); }

 private:
  bool latest_;
  std::optional<Value> best_;
  int64_t ts_ = 0;
};

class DistinctAgg : public Aggregator {
 public:
  Status add(const Value& v, std::optional<int64_t>, ValueBudget* budget) override {
    std::string scratch;
    std::string_view s;
    if (!text_view(v, &scratch, &s)) return OkStatus();
    if (seen_.count(s)) return OkStatus();
    if (budget->used >= budget->max_values) return over_budget(*budget, "count_distinct");
    budget->used++;
    seen_.emplace(s);
    return OkStatus();
  }
  Value result() const override { return Value::number(static_cast<double>(seen_.size())); }
  std::unique_ptr<Aggregator> clone() const override {
    return std::make_unique<DistinctAgg>(*this);
  }

 private:
  // Heterogeneous lookup (C++20): a row's text is looked up without copying it.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> seen_;
};

// pct(f, p): nearest rank over the values that read as numbers; pct(f, 0) is the minimum.
class PctAgg : public Aggregator {
 public:
  explicit PctAgg(double p) : p_(p) {}
  Status add(const Value& v, std::optional<int64_t>, ValueBudget* budget) override {
    auto x = as_number(v);
    if (!x || !std::isfinite(*x)) return OkStatus();
    if (budget->used >= budget->max_values) return over_budget(*budget, "pct");
    budget->used++;
    values_.push_back(*x);
    return OkStatus();
  }
  Value result() const override {
    if (values_.empty()) return Value::null();
    std::vector<double> v = values_;
    double rank = std::ceil(p_ / 100.0 * static_cast<double>(v.size()));
    size_t idx = rank < 1 ? 0 : std::min(v.size() - 1, static_cast<size_t>(rank) - 1);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
    return Value::number(v[idx]);
  }
  std::unique_ptr<Aggregator> clone() const override { return std::make_unique<PctAgg>(*this); }

 private:
  double p_;
  std::vector<double> values_;
};

}  // namespace

std::unique_ptr<Aggregator> make_aggregator(const Expr& call) {
  switch (call.fn) {
    case Fn::kCount:
      return std::make_unique<CountAgg>();
    case Fn::kSum:
    case Fn::kAvg:
    case Fn::kStddev:
      return std::make_unique<MomentsAgg>(call.fn);
    case Fn::kMin:
    case Fn::kSortsFirst:
      return std::make_unique<ExtremeAgg>(false);
    case Fn::kMax:
    case Fn::kSortsLast:
      return std::make_unique<ExtremeAgg>(true);
    case Fn::kEarliest:
      return std::make_unique<TimeAgg>(false);
    case Fn::kLatest:
      return std::make_unique<TimeAgg>(true);
    case Fn::kCountDistinct:
      return std::make_unique<DistinctAgg>();
    case Fn::kPct:
      return std::make_unique<PctAgg>(call.args[1]->literal.num);
    default:
      return std::make_unique<CountAgg>();
  }
}

}  // namespace opsight::query::insights
