#pragma once
// The search expression of Metric Math's SEARCH('...', 'Stat', Period), from the CloudWatch
// user guide "Using search expressions in graphs" (search-expression-syntax):
//
//   '{AWS/EC2,InstanceId} MetricName="CPUUtilization"'
//   '{MyApp,Host,Region} Latency NOT Region="us-east-1"'
//   'Namespace="MyApp" (Errors OR Faults)'
//
// - An optional schema {Namespace,Dim1,...} (names may be double-quoted) keeps only the metrics
//   in that namespace whose dimension names are exactly Dim1,... (a metric with more or fewer
//   dimensions does not match).
// - Terms: `word` matches partially, `"text"` exactly; `Name=word` / `Name="text"` match only
//   the property Name (MetricName, Namespace, or a dimension name). Terms are combined with
//   AND (also implied between adjacent terms), OR, NOT and parentheses; AND binds tighter than
//   OR.
// - Partial matching (as CloudWatch): the candidate and the term are split into tokens at
//   non-alphanumeric characters and camel-case boundaries ("CPUUtilization" -> CPU,
//   Utilization); the term matches when its tokens appear consecutively, case-insensitively.
//   An exact term matches the whole value, case-sensitively. A bare term is tried against the
//   metric name, the namespace and every dimension name and value.
//
// Pure; thread-safe.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "storage/matcher.h"

namespace opsight::query::metricmath {

class SearchExpression {
 public:
  // InvalidArgument names the position and the rule ("search expression: ...").
  static Result<SearchExpression> parse(std::string_view text);

  // Store matchers that every matching series satisfies (at least one matches no empty value).
  std::vector<storage::Matcher> matchers() const;
  // Whether a series (labels with __name__ and Namespace) matches.
  bool matches(const Labels& labels) const;
  // Dimension names of the schema, in schema order (empty without a schema).
  const std::vector<std::string>& schema_dimensions() const { return schema_dims_; }

  struct Term;

 private:
  bool has_schema_ = false;
  std::string schema_namespace_;
  std::vector<std::string> schema_dims_;
  std::shared_ptr<const Term> root_;  // null: no terms
};

// Tokens for partial matching, lower-cased ("CPUUtilization" -> {"cpu", "utilization"}).
std::vector<std::string> search_tokens(std::string_view s);

}  // namespace opsight::query::metricmath
