// Metric alarm evaluation (see evaluation.h for the rules and their source).
#include "alarm/evaluation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "common/json_writer.h"

namespace opsight::alarm {

int64_t evaluation_range(const MetricAlarm& alarm) {
  return alarm.evaluation_periods + kExtraRangePeriods;
}

TreatMissingData effective_treatment(const MetricAlarm& alarm) {
  if (alarm.namespace_name == "AWS/DynamoDB") return TreatMissingData::kIgnore;
  return alarm.treat_missing_data;
}

bool breaches(const MetricAlarm& alarm, double v, double lower, double upper) {
  switch (alarm.comparison) {
    case ComparisonOperator::kGreaterThanOrEqualToThreshold:
      return v >= *alarm.threshold;
    case ComparisonOperator::kGreaterThanThreshold:
      return v > *alarm.threshold;
    case ComparisonOperator::kLessThanThreshold:
      return v < *alarm.threshold;
    case ComparisonOperator::kLessThanOrEqualToThreshold:
      return v <= *alarm.threshold;
    case ComparisonOperator::kLessThanLowerOrGreaterThanUpperThreshold:
      return v < lower || v > upper;
    case ComparisonOperator::kLessThanLowerThreshold:
      return v < lower;
    case ComparisonOperator::kGreaterThanUpperThreshold:
      return v > upper;
  }
  return false;
}

std::vector<Slot> slot_series(const MetricAlarm& alarm, const AlarmSeries& series, int64_t end_ms) {
  const int64_t period_ms = alarm.period_s * 1000;
  const int64_t n = evaluation_range(alarm);
  const int64_t start_ms = end_ms - n * period_ms;
  std::vector<Slot> slots(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) slots[static_cast<size_t>(i)].t_ms = start_ms + i * period_ms;
  const bool band = is_band_operator(alarm.comparison);
  const bool has_band = series.lower && series.upper;
  const size_t count = std::min(series.timestamps_ms.size(), series.values.size());
  for (size_t i = 0; i < count; i++) {
    const int64_t t = series.timestamps_ms[i];
    if (t < start_ms || t >= end_ms) continue;
    Slot& s = slots[static_cast<size_t>((t - start_ms) / period_ms)];
    const double v = series.values[i];
    s.cls = PointClass::kMissing;
    if (std::isnan(v)) continue;
    if (band) {
      if (!has_band || i >= series.lower->size() || i >= series.upper->size()) continue;
      const double lo = (*series.lower)[i], hi = (*series.upper)[i];
      if (std::isnan(lo) || std::isnan(hi)) continue;
      s.lower = lo;
      s.upper = hi;
    }
    s.value = v;
    s.cls =
        breaches(alarm, v, s.lower, s.upper) ? PointClass::kBreaching : PointClass::kNotBreaching;
  }
  return slots;
}

Outcome decide(const MetricAlarm& alarm, std::span<const Slot> slots, StateValue previous) {
  Outcome out;
  const int64_t n = alarm.evaluation_periods;
  const int64_t m = alarm.datapoints_to_alarm;
  const TreatMissingData treat = effective_treatment(alarm);
  int64_t real = 0;
  for (const Slot& s : slots) real += s.cls != PointClass::kMissing;

  auto verdict = [&](int breaching) {
    return breaching >= m ? StateValue::kAlarm : StateValue::kOk;
  };

  // Rule 1: enough real datapoints.
  if (real >= n) {
    for (size_t i = slots.size(); i-- > 0 && static_cast<int64_t>(out.evaluated.size()) < n;) {
      if (slots[i].cls == PointClass::kMissing) continue;
      out.evaluated.push_back(static_cast<uint32_t>(i));
      out.breaching += slots[i].cls == PointClass::kBreaching;
    }
    out.state = verdict(out.breaching);
    out.basis = Basis::kRealData;
    return out;
  }

  // Fill the (n - real) most recent missing periods for breaching / notBreaching.
  if (treat == TreatMissingData::kBreaching || treat == TreatMissingData::kNotBreaching) {
    int64_t to_fill = n - real;
    for (size_t i = slots.size(); i-- > 0;) {
      if (slots[i].cls != PointClass::kMissing) {
        out.evaluated.push_back(static_cast<uint32_t>(i));
        out.breaching += slots[i].cls == PointClass::kBreaching;
      } else if (to_fill > 0) {
        to_fill--;
        out.evaluated.push_back(static_cast<uint32_t>(i));
        out.filled.push_back(static_cast<uint32_t>(i));
        out.breaching += treat == TreatMissingData::kBreaching;
      }
    }
    out.state = verdict(out.breaching);
    out.basis = Basis::kFilled;
    return out;
  }

  // missing / ignore.
  if (real == 0) {
    out.basis = Basis::kAllMissing;
    if (treat == TreatMissingData::kIgnore) {
      out.state = previous;
      out.retained = true;
    } else {
      out.state = StateValue::kInsufficientData;
    }
    return out;
  }
  bool any_not_breaching = false;
  for (size_t i = slots.size(); i-- > 0;) {
    if (slots[i].cls == PointClass::kMissing) continue;
    out.evaluated.push_back(static_cast<uint32_t>(i));
    out.breaching += slots[i].cls == PointClass::kBreaching;
    any_not_breaching |= slots[i].cls == PointClass::kNotBreaching;
  }
  if (out.breaching >= m) {
    out.state = StateValue::kAlarm;
    out.basis = Basis::kRealData;
    return out;
  }
  if (treat == TreatMissingData::kMissing && !any_not_breaching) {
    // Age (1 = newest period) of the oldest breaching point among the N newest periods.
    int64_t oldest_age = 0;
    for (int64_t age = 1; age <= n && age <= static_cast<int64_t>(slots.size()); age++) {
      if (slots[slots.size() - static_cast<size_t>(age)].cls == PointClass::kBreaching) {
        oldest_age = age;
      }
    }
    if (oldest_age >= m) {
      out.state = StateValue::kAlarm;
      out.basis = Basis::kPremature;
      return out;
    }
  }
  if (any_not_breaching) {
    out.state = StateValue::kOk;
    out.basis = Basis::kPartialData;
    return out;
  }
  out.basis = Basis::kInsufficient;
  if (treat == TreatMissingData::kIgnore) {
    out.state = previous;
    out.retained = true;
  } else {
    out.state = StateValue::kInsufficientData;
  }
  return out;
}

std::string reason_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (std::floor(v) == v && std::fabs(v) < 1e7) return fmt::format("{:.1f}", v);
  return fmt::format("{}", v);
}

namespace {

std::string reason_time(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:02}/{:02}/{:02} {:02}:{:02}:{:02}", tm.tm_mday, tm.tm_mon + 1,
                     tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string_view plural(int64_t n, std::string_view one, std::string_view many) {
  return n == 1 ? one : many;
}

std::string_view operator_phrase(ComparisonOperator op) {
  switch (op) {
    case ComparisonOperator::kGreaterThanOrEqualToThreshold:
      return "greater than or equal to";
    case ComparisonOperator::kGreaterThanThreshold:
      return "greater than";
    case ComparisonOperator::kLessThanThreshold:
      return "less than";
    case ComparisonOperator::kLessThanOrEqualToThreshold:
      return "less than or equal to";
    default:
      return "";
  }
}

std::string join_values(std::span<const Slot> slots, const std::vector<uint32_t>& idx,
                        double Slot::*field) {
  std::string out;
  for (uint32_t i : idx) {
    if (!out.empty()) out += ", ";
    out += reason_number(slots[i].*field);
  }
  return out;
}

// "was greater than the threshold (50.0)" / band forms, negated for OK.
std::string comparison_text(const MetricAlarm& a, std::span<const Slot> slots,
                            const std::vector<uint32_t>& listed, bool negate) {
  const std::string_view no = negate ? "not " : "";
  if (!is_band_operator(a.comparison)) {
    return fmt::format("{}{} the threshold ({})", no, operator_phrase(a.comparison),
                       reason_number(*a.threshold));
  }
  const std::string lows = join_values(slots, listed, &Slot::lower);
  const std::string highs = join_values(slots, listed, &Slot::upper);
  switch (a.comparison) {
    case ComparisonOperator::kLessThanLowerThreshold:
      return fmt::format("{}less than the lower thresholds [{}]", no, lows);
    case ComparisonOperator::kGreaterThanUpperThreshold:
      return fmt::format("{}greater than the upper thresholds [{}]", no, highs);
    default:
      return fmt::format(
          "{}less than the lower thresholds [{}] or greater than the upper "
          "thresholds [{}]",
          no, lows, highs);
  }
}

}  // namespace

std::string state_reason(const MetricAlarm& a, std::span<const Slot> slots, const Outcome& o,
                         StateValue previous) {
  if (o.state == StateValue::kInsufficientData ||
      (o.retained && (o.basis == Basis::kAllMissing || o.basis == Basis::kInsufficient))) {
    int64_t unknown = 0;
    for (const Slot& s : slots) unknown += s.cls == PointClass::kMissing;
    return fmt::format("Insufficient Data: {} {} unknown.", unknown,
                       plural(unknown, "datapoint was", "datapoints were"));
  }
  const bool alarm = o.state == StateValue::kAlarm;
  const PointClass listed_cls = alarm ? PointClass::kBreaching : PointClass::kNotBreaching;
  std::vector<uint32_t> listed;
  for (uint32_t i : o.evaluated) {
    if (slots[i].cls == listed_cls) listed.push_back(i);
  }
  const int64_t filled = static_cast<int64_t>(o.filled.size());
  const bool fills_count =
      filled > 0 && ((alarm && effective_treatment(a) == TreatMissingData::kBreaching) ||
                     (!alarm && effective_treatment(a) == TreatMissingData::kNotBreaching));
  const std::string_view treated_as = alarm ? "[Breaching]" : "[NonBreaching]";
  const std::string_view prefix =
      is_band_operator(a.comparison) ? "Thresholds Crossed" : "Threshold Crossed";
  if (listed.empty() && fills_count) {
    return fmt::format("{}: no datapoints were received for {} {} and {} missing {} treated as {}.",
                       prefix, filled, plural(filled, "period", "periods"), filled,
                       plural(filled, "datapoint was", "datapoints were"), treated_as);
  }
  std::string points;
  for (uint32_t i : listed) {
    if (!points.empty()) points += ", ";
    points += fmt::format("{} ({})", reason_number(slots[i].value), reason_time(slots[i].t_ms));
  }
  const int64_t minimum =
      alarm ? a.datapoints_to_alarm : a.evaluation_periods - a.datapoints_to_alarm + 1;
  std::string fills_text;
  if (fills_count) {
    fills_text = fmt::format(" and {} missing {} treated as {}", filled,
                             plural(filled, "datapoint was", "datapoints were"), treated_as);
  }
  return fmt::format(
      "{}: {} out of the last {} datapoints [{}] {} {}{} (minimum {} {} for {} -> {} "
      "transition).",
      prefix, listed.size(), a.evaluation_periods, points,
      plural(static_cast<int64_t>(listed.size()), "was", "were"),
      comparison_text(a, slots, listed, !alarm), fills_text, minimum,
      plural(minimum, "datapoint", "datapoints"), state_name(previous), state_name(o.state));
}

std::string state_reason_data(const MetricAlarm& a, std::span<const Slot> slots, const Outcome& o,
                              int64_t now_ms) {
  json::Writer w(256);
  w.begin_object();
  w.kv("version", "1.0");
  w.kv("queryDate", cw_timestamp(now_ms));
  if (!slots.empty()) w.kv("startDate", cw_timestamp(slots.front().t_ms));
  if (!a.uses_metrics()) w.kv("statistic", a.stat_name());
  if (!a.unit.empty()) w.kv("unit", a.unit);
  w.kv("period", a.period_s);
  const bool band = is_band_operator(a.comparison);
  w.key("recentDatapoints").begin_array();
  for (const Slot& s : slots) {
    if (s.cls != PointClass::kMissing) w.value(s.value);
  }
  w.end_array();
  if (band) {
    w.key("recentLowerThresholds").begin_array();
    for (const Slot& s : slots) {
      if (s.cls != PointClass::kMissing) w.value(s.lower);
    }
    w.end_array();
    w.key("recentUpperThresholds").begin_array();
    for (const Slot& s : slots) {
      if (s.cls != PointClass::kMissing) w.value(s.upper);
    }
    w.end_array();
  } else {
    w.kv("threshold", *a.threshold);
  }
  w.key("evaluatedDatapoints").begin_array();
  if (o.evaluated.empty()) {
    // Nothing could be evaluated: list the unknown periods, newest first.
    for (size_t i = slots.size(); i-- > 0;) {
      w.begin_object().kv("timestamp", cw_timestamp(slots[i].t_ms)).end_object();
    }
  } else {
    for (uint32_t i : o.evaluated) {
      w.begin_object().kv("timestamp", cw_timestamp(slots[i].t_ms));
      if (slots[i].cls != PointClass::kMissing) w.kv("value", slots[i].value);
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
  return w.take();
}

EvaluationResult evaluate_metric_alarm(const MetricAlarm& alarm, const AlarmSeries& series,
                                       int64_t end_ms, int64_t now_ms, StateValue previous) {
  EvaluationResult r;
  const std::vector<Slot> slots = slot_series(alarm, series, end_ms);
  r.outcome = decide(alarm, slots, previous);
  r.state = r.outcome.state;
  r.changed = r.state != previous;
  r.reason = state_reason(alarm, slots, r.outcome, previous);
  r.reason_data = state_reason_data(alarm, slots, r.outcome, now_ms);
  return r;
}

}  // namespace opsight::alarm
