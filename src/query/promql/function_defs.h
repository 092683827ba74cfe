#pragma once
// The table of PromQL functions with their signatures (Prometheus 2.42's functions.go list, as
// documented at https://prometheus.io/docs/prometheus/latest/querying/functions/). The parser
// checks calls against it; the evaluator dispatches on `id`.

#include <string_view>
#include <vector>

#include "query/promql/ast.h"

namespace opsight::query::promql {

enum class FuncId {
  kAbs,
  kAbsent,
  kAbsentOverTime,
  kAcos,
  kAcosh,
  kAsin,
  kAsinh,
  kAtan,
  kAtanh,
  kAvgOverTime,
  kCeil,
  kChanges,
  kClamp,
  kClampMax,
  kClampMin,
  kCos,
  kCosh,
  kCountOverTime,
  kDaysInMonth,
  kDayOfMonth,
  kDayOfWeek,
  kDeg,
  kDelta,
  kDeriv,
  kExp,
  kFloor,
  kHistogramQuantile,
  kHoltWinters,
  kHour,
  kIdelta,
  kIncrease,
  kIrate,
  kLabelReplace,
  kLabelJoin,
  kLastOverTime,
  kLn,
  kLog10,
  kLog2,
  kMaxOverTime,
  kMinOverTime,
  kMinute,
  kMonth,
  kPi,
  kPredictLinear,
  kPresentOverTime,
  kQuantileOverTime,
  kRad,
  kRate,
  kResets,
  kRound,
  kScalar,
  kSgn,
  kSin,
  kSinh,
  kSort,
  kSortDesc,
  kSqrt,
  kStddevOverTime,
  kStdvarOverTime,
  kSumOverTime,
  kTan,
  kTanh,
  kTime,
  kTimestamp,
  kVector,
  kYear,
};

struct FunctionDef {
  FuncId id;
  std::string_view name;
  std::vector<ValueType> arg_types;
  // Prometheus's Variadic: 0 = exactly arg_types.size() args; n > 0 = the last argument is
  // optional and may repeat up to n times; -1 = the last argument repeats without bound. The
  // last type applies to every repeated argument.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};

// nullptr when there is no function of that name.
const FunctionDef* find_function(std::string_view name);

}  // namespace opsight::query::promql
