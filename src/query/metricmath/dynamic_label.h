#pragma once
// CloudWatch dynamic labels (user guide, "Use dynamic labels"): ${...} placeholders in a
// query's Label, replaced per returned series:
//   ${AVG} ${MIN} ${MAX} ${SUM} ${FIRST} ${LAST} ${DATAPOINT_COUNT}   over the series' points
//     (FIRST = oldest, LAST = newest)
//   ${FIRST_TIME} ${LAST_TIME}   ISO-8601 times of the oldest / newest point, in the
//     LabelOptions.Timezone offset
//   ${LABEL}                     the default label of the series
//   ${PROP('MetricName')} ${PROP('Namespace')} ${PROP('Period')} ${PROP('Stat')}
//   ${PROP('Dim.<name>')}        properties of a metric (empty for a computed series)
// A placeholder over no points becomes ""; an unknown placeholder is left as written.
// Pure; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "query/metricmath/time_series.h"

namespace opsight::query::metricmath {

// "+HHMM" / "-HHMM" (hours 0..23, minutes 0..59) to an offset in minutes; "" is 0.
Result<int> parse_timezone_offset(std::string_view tz);

std::string expand_dynamic_label(std::string_view label, const TimeSeries& s,
                                 std::string_view default_label, int tz_offset_minutes);

// A number as a label shows it: integers without a fraction, others with up to 6 significant
// digits ("12", "0.5", "3.14159").
std::string format_label_number(double v);

}  // namespace opsight::query::metricmath
