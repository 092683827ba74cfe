// Fuzz target: the alarm front doors never crash on any input: composite AlarmRule expressions
// (parsed, then evaluated with every child in ALARM) and PutMetricAlarm / PutCompositeAlarm
// documents. The first byte picks the parser; the rest is its input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alarm/alarm_model.h"
#include "alarm/alarm_rule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namespace alarm = opsight::alarm;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto rule = alarm::AlarmRule::parse(in);
      if (rule.ok()) {
        auto all_alarm = [](size_t) { return alarm::StateValue::kAlarm; };
        (void)rule->evaluate(all_alarm);
        (void)rule->satisfied_refs(all_alarm);
      }
      break;
    }
    case 1:
      (void)alarm::parse_put_metric_alarm(in);
      break;
    default:
      (void)alarm::parse_put_composite_alarm(in);
      break;
  }
  return 0;
}
