// Fuzz target: PutLogEvents parsing and the time rules (parse_put_log_events,
// apply_put_log_events). Any input either fails with InvalidArgument or yields events that are
// chronological, within the time window, and whose rejected ranges match the response fields.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/logs/put_log_events.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  constexpr int64_t kNow = 1'700'000'000'000;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  logs::PutLogEventsRequest req;
  opsight::Status st = logs::parse_put_log_events(body, &req);
  if (!st.ok()) {
    if (st.code() != opsight::Code::kInvalidArgument) std::abort();
    return 0;
  }
  if (req.events.empty() || req.events.size() > logs::kPutLogEventsMaxEvents) std::abort();
  LogBatch out;
  logs::RejectedLogEventsInfo rej;
  size_t n = req.events.size();
  st = logs::apply_put_log_events(std::move(req), kNow, 3, &out, &rej);
  if (!st.ok()) {
    if (!out.streams.empty()) std::abort();
    return 0;
  }
  size_t kept = out.event_count();
  int64_t first = std::max(rej.too_old_end.value_or(0), rej.expired_end.value_or(0));
  int64_t last = rej.too_new_start.value_or(static_cast<int64_t>(n));
  if (static_cast<int64_t>(kept) != std::max<int64_t>(0, last - first)) std::abort();
  for (const auto& s : out.streams) {
    for (size_t i = 0; i < s.events.size(); i++) {
      int64_t t = s.events[i].timestamp_ms;
      if (t > kNow + logs::kPutLogEventsMaxFutureMs || t < kNow - 3 * kMsPerDay) std::abort();
      if (i > 0 && t < s.events[i - 1].timestamp_ms) std::abort();
    }
  }
  (void)logs::encode_put_log_events_response("1", rej);
  return 0;
}
