#pragma once
// Faults injected into the demo shop, and their ground truth.
//
// A fault is written `KIND:TARGET[@START][/DURATION]`:
//   KIND    latency (the target's own work is ~8x slower, +300 ms),
//           errors  (30% of the target's requests fail with a 5xx, or its calls fail for the
//                    database and the queue),
//           cpu     (the target's CPU saturates: CPU gauge ~95%, its work ~3x slower; for the
//                    database, every query is ~5x slower and 2% time out)
//   TARGET  frontend, checkout, payment, inventory, db, queue
//   START   offset from the start of the demo's data (default 0), e.g. 10m
//   DURATION how long it lasts (default: until the demo ends), e.g. 5m
// e.g. `latency:payment@10m/5m`, `errors:inventory`, `cpu:db@1h`.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::demo {

enum class FaultKind { kLatency, kErrors, kCpu };

struct Fault {
  FaultKind kind = FaultKind::kLatency;
  std::string target;
  int64_t start_ms = 0;  // absolute Unix ms
  int64_t end_ms = std::numeric_limits<int64_t>::max();
  std::string spec;  // as written

  bool active(int64_t t_ms) const { return t_ms >= start_ms && t_ms < end_ms; }
};

// The fault targets, in the order the docs list them.
const std::vector<std::string>& fault_targets();
std::string_view fault_kind_name(FaultKind k);

// Parses `spec` with START relative to `origin_ms`. InvalidArgument names the spec and the rule.
Result<Fault> parse_fault(std::string_view spec, int64_t origin_ms);

// The ground-truth document: {"origin": ..., "faults": [{"kind", "target", "spec", "start",
// "end", "start_ms", "end_ms"}]} with RFC 3339 times (end null when open-ended).
std::string ground_truth_json(int64_t origin_ms, const std::vector<Fault>& faults);

}  // namespace opsight::demo
