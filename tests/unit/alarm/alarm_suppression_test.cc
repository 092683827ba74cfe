// Composite action suppression as a state machine (suppression.h).
#include "alarm/suppression.h"

#include <gtest/gtest.h>

namespace opsight::alarm {
namespace {

constexpr int64_t kT = 1'700'000'000'000;

TEST(SuppressionTest, NoWaitRunsAtOnce) {
  SuppressionState s;
  EXPECT_TRUE(suppress_on_transition(&s, StateValue::kAlarm, kT, {}, 0, 60));
  EXPECT_EQ(s.by, SuppressedBy::kNone);
}

TEST(SuppressionTest, WaitPeriodReleasesWhenTheSuppressorStaysQuiet) {
  SuppressionState s;
  EXPECT_FALSE(suppress_on_transition(&s, StateValue::kAlarm, kT, {}, 120, 180));
  EXPECT_EQ(s.by, SuppressedBy::kWaitPeriod);
  EXPECT_EQ(s.deadline_ms, kT + 120'000);
  EXPECT_EQ(suppressed_reason(s.by), "Actions suppressed by WaitPeriod");
  EXPECT_FALSE(suppress_on_tick(&s, kT + 119'999));
  EXPECT_TRUE(suppress_on_tick(&s, kT + 120'000));
  EXPECT_EQ(s.held_state, StateValue::kAlarm);
  EXPECT_EQ(s.by, SuppressedBy::kNone);
}

TEST(SuppressionTest, SuppressorAlarmThenExtensionPeriod) {
  SuppressionState s;
  EXPECT_FALSE(suppress_on_transition(&s, StateValue::kAlarm, kT, {}, 120, 180));
  suppress_on_suppressor_alarm(&s);
  EXPECT_EQ(s.by, SuppressedBy::kAlarm);
  EXPECT_FALSE(suppress_on_tick(&s, kT + 1'000'000));  // held while the suppressor alarms
  EXPECT_FALSE(suppress_on_suppressor_cleared(&s, kT + 1'000'000, 180));
  EXPECT_EQ(s.by, SuppressedBy::kExtensionPeriod);
  EXPECT_FALSE(suppress_on_tick(&s, kT + 1'179'999));
  // Back to ALARM within the extension: held again.
  suppress_on_suppressor_alarm(&s);
  EXPECT_EQ(s.by, SuppressedBy::kAlarm);
  EXPECT_FALSE(suppress_on_suppressor_cleared(&s, kT + 2'000'000, 180));
  EXPECT_TRUE(suppress_on_tick(&s, kT + 2'180'000));
}

TEST(SuppressionTest, TransitionWhileSuppressorAlarmsOrJustCleared) {
  SuppressionState s;
  EXPECT_FALSE(suppress_on_transition(&s, StateValue::kOk, kT, {true, 0}, 120, 180));
  EXPECT_EQ(s.by, SuppressedBy::kAlarm);
  EXPECT_FALSE(suppress_on_transition(&s, StateValue::kAlarm, kT, {false, kT - 60'000}, 120, 180));
  EXPECT_EQ(s.by, SuppressedBy::kExtensionPeriod);
  EXPECT_EQ(s.deadline_ms, kT + 120'000);  // 180 s after the suppressor cleared
  EXPECT_TRUE(suppress_on_suppressor_cleared(&s, kT, 0) == false);  // not held by Alarm
  EXPECT_TRUE(suppress_on_tick(&s, kT + 120'000));
}

TEST(SuppressionTest, ZeroExtensionReleasesWhenTheSuppressorClears) {
  SuppressionState s;
  EXPECT_FALSE(suppress_on_transition(&s, StateValue::kAlarm, kT, {true, 0}, 10, 0));
  EXPECT_TRUE(suppress_on_suppressor_cleared(&s, kT + 5, 0));
}

}  // namespace
}  // namespace opsight::alarm
