#pragma once
// The stats aggregation functions (CloudWatch Logs "Stats aggregation functions" and "Stats
// non-aggregation functions"): count, count_distinct, sum, avg, min, max, pct, stddev,
// earliest, latest, sortsFirst, sortsLast. One Aggregator per (group, call).
//
// Memory: count_distinct keeps each distinct value and pct each value; both charge a budget
// shared by all groups of a stats command and fail with ResourceExhausted naming the limit when
// it runs out (CloudWatch approximates instead; opsight is exact up to the limit).

#include <cstdint>
#include <memory>
#include <optional>

#include "common/status.h"
#include "query/insights/ast.h"
#include "query/insights/value.h"

namespace opsight::query::insights {

struct ValueBudget {
  size_t max_values = 0;
  size_t used = 0;
};

class Aggregator {
 public:
  virtual ~Aggregator() = default;
  // One row's value of the argument (for count(*), a non-null value), and its @timestamp when
  // the row has one (earliest/latest; the caller may pass nullopt to others). `v` may borrow
  // from the row: an aggregator that keeps it keeps an owned() copy.
  virtual Status add(const Value& v, std::optional<int64_t> ts_ms, ValueBudget* budget) = 0;
  virtual Value result() const = 0;
  virtual std::unique_ptr<Aggregator> clone() const = 0;
};

// `call` is an aggregate kCall node (its fn and, for pct, the percentile literal).
std::unique_ptr<Aggregator> make_aggregator(const Expr& call);

}  // namespace opsight::query::insights
