#pragma once
// The function table of Logs Insights and the scalar functions (CloudWatch Logs "Boolean,
// comparison, numeric, datetime, and other functions" page: string, numeric, datetime, IP
// address, general functions; plus the conditional if(cond, a, b)). Aggregations (stats) are in
// aggregators.h; this table only knows their names and arity.
//
// Names are matched case-insensitively (isValidIp = isvalidip).

#include <span>
#include <string_view>

#include "query/insights/value.h"

namespace opsight::query::insights {

enum class Fn {
  // string
  kStrlen,
  kToupper,
  kTolower,
  kTrim,
  kLtrim,
  kRtrim,
  kSubstr,
  kReplace,
  kConcat,
  kStrcontains,
  kIsempty,
  kIsblank,
  // general / conditional
  kIspresent,
  kCoalesce,
  kIf,
  kUnmask,
  // numeric
  kAbs,
  kCeil,
  kFloor,
  kGreatest,
  kLeast,
  kLog,
  kSqrt,
  kPow,
  // datetime
  kBin,
  kDatefloor,
  kDateceil,
  kFromMillis,
  kToMillis,
  // IP
  kIsValidIp,
  kIsValidIpV4,
  kIsValidIpV6,
  kIsIpInSubnet,
  kIsIpv4InSubnet,
  kIsIpv6InSubnet,
  // aggregations (stats only)
  kCount,
  kCountDistinct,
  kSum,
  kAvg,
  kMin,
  kMax,
  kPct,
  kStddev,
  kEarliest,
  kLatest,
  kSortsFirst,
  kSortsLast,
};

struct FnInfo {
  std::string_view name;
  Fn fn;
  int min_args;
  int max_args;  // -1: any number
  bool aggregate;
};

// nullptr when `name` is not a function of the language.
const FnInfo* find_function(std::string_view name);

// Applies a scalar function to evaluated arguments. Not for kBin (needs @timestamp), kIf,
// kCoalesce and kIspresent (they look at unevaluated or lazily evaluated arguments: eval.cc
// handles them), or aggregations. A function of a null or ill-typed argument is null.
Value call_scalar(Fn fn, std::span<const Value> args);

// IP helpers (exposed for tests): RFC 4291 / RFC 791 text forms via inet_pton, CIDR subnets.
bool is_valid_ipv4(std::string_view s);
bool is_valid_ipv6(std::string_view s);
// True when `ip` parses and lies in `cidr` ("192.0.2.0/24", "2001:db8::/32"); `family` 4, 6 or
// 0 (either).
bool ip_in_subnet(std::string_view ip, std::string_view cidr, int family);

}  // namespace opsight::query::insights
