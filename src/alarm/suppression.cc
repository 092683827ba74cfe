#include "alarm/suppression.h"

#include <string>

namespace opsight::alarm {

std::string_view suppressed_by_name(SuppressedBy s) {
  switch (s) {
    case SuppressedBy::kNone:
      return "";
    case SuppressedBy::kWaitPeriod:
      return "WaitPeriod";
    case SuppressedBy::kExtensionPeriod:
      return "ExtensionPeriod";
    case SuppressedBy::kAlarm:
      return "Alarm";
  }
  return "";
}

std::string suppressed_reason(SuppressedBy s) {
  if (s == SuppressedBy::kNone) return "";
  return "Actions suppressed by " + std::string(suppressed_by_name(s));
}

bool suppress_on_transition(SuppressionState* s, StateValue state, int64_t now_ms,
                            const SuppressorStatus& suppressor, int64_t wait_period_s,
                            int64_t extension_period_s) {
  *s = SuppressionState{};
  s->held_state = state;
  s->held_since_ms = now_ms;
  if (suppressor.in_alarm) {
    s->by = SuppressedBy::kAlarm;
    return false;
  }
  const int64_t ext_end = suppressor.left_alarm_ms + extension_period_s * 1000;
  if (suppressor.left_alarm_ms > 0 && now_ms < ext_end) {
    s->by = SuppressedBy::kExtensionPeriod;
    s->deadline_ms = ext_end;
    return false;
  }
  if (wait_period_s <= 0) {
    *s = SuppressionState{};
    return true;
  }
  s->by = SuppressedBy::kWaitPeriod;
  s->deadline_ms = now_ms + wait_period_s * 1000;
  return false;
}

void suppress_on_suppressor_alarm(SuppressionState* s) {
  if (s->by == SuppressedBy::kWaitPeriod || s->by == SuppressedBy::kExtensionPeriod) {
    s->by = SuppressedBy::kAlarm;
    s->deadline_ms = 0;
  }
}

bool suppress_on_suppressor_cleared(SuppressionState* s, int64_t now_ms,
                                    int64_t extension_period_s) {
  if (s->by != SuppressedBy::kAlarm) return false;
  if (extension_period_s <= 0) {
    s->by = SuppressedBy::kNone;
    return true;
  }
  s->by = SuppressedBy::kExtensionPeriod;
  s->deadline_ms = now_ms + extension_period_s * 1000;
  return false;
}

bool suppress_on_tick(SuppressionState* s, int64_t now_ms) {
  if ((s->by == SuppressedBy::kWaitPeriod || s->by == SuppressedBy::kExtensionPeriod) &&
      now_ms >= s->deadline_ms) {
    s->by = SuppressedBy::kNone;
    return true;
  }
  return false;
}

}  // namespace opsight::alarm
