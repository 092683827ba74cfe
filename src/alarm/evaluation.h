#pragma once
// Metric alarm evaluation: a pure function from (alarm, datapoints, time, previous state) to
// (new state, StateReason, StateReasonData).
//
// Implemented from the Amazon CloudWatch user guide, "Configuring how CloudWatch alarms treat
// missing data" ("How alarm state is evaluated when data is missing" with its two tables, and
// "Avoiding premature transitions to alarm state"):
//
//   The alarm reads an *evaluation range* of R = EvaluationPeriods + kExtraRangePeriods periods
//   (the guide's tables: 3 evaluation periods, range 5), ending at the evaluation time. Each
//   period is breaching, not breaching or missing. With N = EvaluationPeriods and
//   M = DatapointsToAlarm:
//   1. At least N real datapoints in the range: the N most recent real ones are evaluated
//      (TreatMissingData is not used); ALARM when >= M breach, else OK.
//   2. No real datapoint: missing -> INSUFFICIENT_DATA, ignore -> keep the current state,
//      breaching -> ALARM, notBreaching -> OK (N periods filled).
//   3. 0 < real < N: breaching / notBreaching fill the N - real most recent missing periods and
//      evaluate M of N over the real and filled points ("uses missing data points only as few
//      times as possible"). missing / ignore evaluate the real points only: ALARM when >= M of
//      them breach; otherwise, for `missing` only, ALARM when every real point in the range
//      breaches and the oldest breaching one among the N most recent periods is at least M
//      periods old (the premature-alarm rule: "- - X - -" alarms, "- - - - X" does not); else
//      OK when some real point does not breach; else INSUFFICIENT_DATA (missing) or the current
//      state (ignore).
//   Metrics in the AWS/DynamoDB namespace always use `ignore` (PutMetricAlarm reference).
//   This reproduces every row of both tables of the guide (tests/unit/alarm/evaluation_test.cc).
//
//   Threshold operators compare value with Threshold; band operators compare value with the
//   series' lower/upper band (a period whose band is missing counts as missing).
//
// StateReason wording follows CloudWatch's ("Threshold Crossed: 3 out of the last 3 datapoints
// [...] were greater than the threshold (50.0) (minimum 3 datapoints for OK -> ALARM
// transition)."; "Insufficient Data: 5 datapoints were unknown."); StateReasonData is the JSON
// object CloudWatch writes (version, queryDate, startDate, statistic, period, recentDatapoints,
// threshold or recentLowerThresholds/recentUpperThresholds, evaluatedDatapoints).
//
// Thread safety: pure functions.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "alarm/alarm_model.h"
#include "alarm/alarm_types.h"

namespace opsight::alarm {

inline constexpr int64_t kExtraRangePeriods = 2;

enum class PointClass : uint8_t { kMissing, kBreaching, kNotBreaching };

// One period of the evaluation range.
struct Slot {
  int64_t t_ms = 0;  // period start
  double value = 0;
  double lower = 0, upper = 0;  // band operators only
  PointClass cls = PointClass::kMissing;
};

// Why the state is what it is (input to the reason text).
enum class Basis : uint8_t {
  kRealData,      // rule 1, or rule 3 with M real breaching points
  kFilled,        // rule 2/3 with breaching / notBreaching fills
  kAllMissing,    // rule 2 with missing / ignore
  kPremature,     // rule 3 premature-alarm case
  kPartialData,   // rule 3, real points only, OK
  kInsufficient,  // rule 3, only breaching points too recent to alarm
};

struct Outcome {
  StateValue state = StateValue::kInsufficientData;
  bool retained = false;  // `ignore` kept the previous state
  Basis basis = Basis::kRealData;
  // Evaluated slots, newest first (indexes into the slot span), and how many of them are
  // missing periods filled by TreatMissingData.
  std::vector<uint32_t> evaluated;
  std::vector<uint32_t> filled;
  int breaching = 0;  // among evaluated (real and filled)
};

// Number of periods in the evaluation range.
int64_t evaluation_range(const MetricAlarm& alarm);
// The effective treatment (AWS/DynamoDB always ignores).
TreatMissingData effective_treatment(const MetricAlarm& alarm);
// Is `value` (with its band) breaching under the alarm's operator?
bool breaches(const MetricAlarm& alarm, double value, double lower, double upper);

// Buckets `series` into the R periods of the range ending at `end_ms` (period-aligned by the
// caller), oldest first, and classifies each. Points outside the range are ignored; several
// points in one period: the last wins.
std::vector<Slot> slot_series(const MetricAlarm& alarm, const AlarmSeries& series, int64_t end_ms);

// The state machine of the header comment over classified slots (oldest first).
Outcome decide(const MetricAlarm& alarm, std::span<const Slot> slots, StateValue previous);

struct EvaluationResult {
  StateValue state = StateValue::kInsufficientData;
  bool changed = false;
  std::string reason;
  std::string reason_data;  // JSON
  Outcome outcome;
};

std::string state_reason(const MetricAlarm& alarm, std::span<const Slot> slots,
                         const Outcome& outcome, StateValue previous);
std::string state_reason_data(const MetricAlarm& alarm, std::span<const Slot> slots,
                              const Outcome& outcome, int64_t now_ms);

// The whole evaluation at `end_ms` (the end of the newest period); `now_ms` is the queryDate.
EvaluationResult evaluate_metric_alarm(const MetricAlarm& alarm, const AlarmSeries& series,
                                       int64_t end_ms, int64_t now_ms, StateValue previous);

// "55.0", "0.25", "1.5E7"-style rendering of a datapoint value, as in CloudWatch reasons.
std::string reason_number(double v);

}  // namespace opsight::alarm
