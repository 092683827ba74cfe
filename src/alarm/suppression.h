#pragma once
// Composite alarm action suppression (Amazon CloudWatch API reference, PutCompositeAlarm:
// ActionsSuppressor, ActionsSuppressorWaitPeriod, ActionsSuppressorExtensionPeriod;
// CompositeAlarm: ActionsSuppressedBy WaitPeriod | ExtensionPeriod | Alarm).
//
// When a composite alarm with a suppressor changes state and has actions to run:
//   - suppressor in ALARM                      -> actions held, ActionsSuppressedBy = Alarm;
//   - suppressor left ALARM less than ExtensionPeriod ago
//                                              -> held until that period ends (ExtensionPeriod);
//   - otherwise                                -> held for WaitPeriod (WaitPeriod): "the maximum
//     time that the composite alarm waits for the suppressor alarm to go into the ALARM state".
// While held: the suppressor entering ALARM turns WaitPeriod/ExtensionPeriod into Alarm; the
// suppressor leaving ALARM turns Alarm into ExtensionPeriod (now + ExtensionPeriod); a deadline
// passing releases the actions ("After this time, the composite alarm performs its actions").
// A new state change of the composite replaces what was held (the old actions are dropped).
// A period of 0 releases at once.
//
// Thread safety: plain values and pure functions; the service serialises access.

#include <cstdint>
#include <string_view>

#include "alarm/alarm_types.h"

namespace opsight::alarm {

enum class SuppressedBy : uint8_t { kNone, kWaitPeriod, kExtensionPeriod, kAlarm };
// "", "WaitPeriod", "ExtensionPeriod", "Alarm".
std::string_view suppressed_by_name(SuppressedBy s);
// "Actions suppressed by WaitPeriod", ...; "" for kNone.
std::string suppressed_reason(SuppressedBy s);

struct SuppressionState {
  SuppressedBy by = SuppressedBy::kNone;  // kNone = nothing held
  StateValue held_state = StateValue::kOk;
  int64_t held_since_ms = 0;  // the state change whose actions are held
  int64_t deadline_ms = 0;    // end of WaitPeriod / ExtensionPeriod
  bool operator==(const SuppressionState&) const = default;
};

struct SuppressorStatus {
  bool in_alarm = false;
  int64_t left_alarm_ms = 0;  // when it last left ALARM (0 = never)
};

// The composite changed to `state` at `now_ms` and has actions for it. Returns true when the
// actions run now; false when they are held (s describes why).
bool suppress_on_transition(SuppressionState* s, StateValue state, int64_t now_ms,
                            const SuppressorStatus& suppressor, int64_t wait_period_s,
                            int64_t extension_period_s);
// The suppressor entered ALARM.
void suppress_on_suppressor_alarm(SuppressionState* s);
// The suppressor left ALARM at now_ms. Returns true when held actions are released now.
bool suppress_on_suppressor_cleared(SuppressionState* s, int64_t now_ms,
                                    int64_t extension_period_s);
// Time passes. Returns true when held actions are released now.
bool suppress_on_tick(SuppressionState* s, int64_t now_ms);

}  // namespace opsight::alarm
