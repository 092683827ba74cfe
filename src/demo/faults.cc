#include "demo/faults.h"

#include <algorithm>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::demo {

const std::vector<std::string>& fault_targets() {
  static const std::vector<std::string> targets = {"frontend",  "checkout", "payment",
                                                   "inventory", "db",       "queue"};
  return targets;
}

std::string_view fault_kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::kLatency:
      return "latency";
    case FaultKind::kErrors:
      return "errors";
    case FaultKind::kCpu:
      return "cpu";
  }
  return "?";
}

Result<Fault> parse_fault(std::string_view spec, int64_t origin_ms) {
  auto bad = [&](std::string_view rule) {
    return Status::invalid_argument(
        "fault \"" + std::string(spec) + "\": " + std::string(rule) +
        " (write KIND:TARGET[@START][/DURATION], e.g. latency:payment@10m/5m)");
  };
  Fault f;
  f.spec = std::string(spec);
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos) return bad("missing ':' between kind and target");
  std::string_view kind = spec.substr(0, colon);
  std::string_view rest = spec.substr(colon + 1);
  if (kind == "latency") {
    f.kind = FaultKind::kLatency;
  } else if (kind == "errors") {
    f.kind = FaultKind::kErrors;
  } else if (kind == "cpu") {
    f.kind = FaultKind::kCpu;
  } else {
    return bad("kind must be latency, errors or cpu");
  }
  std::string_view duration;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    duration = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (duration.empty()) return bad("empty duration after '/'");
  }
  std::string_view start;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    start = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (start.empty()) return bad("empty start after '@'");
  }
  const auto& targets = fault_targets();
  if (std::find(targets.begin(), targets.end(), rest) == targets.end()) {
    return bad("target must be frontend, checkout, payment, inventory, db or queue");
  }
  f.target = std::string(rest);
  f.start_ms = origin_ms;
  if (!start.empty()) {
    auto ms = parse_duration_ms(start);
    if (!ms.ok()) return bad("start: " + ms.status().message());
    f.start_ms = origin_ms + *ms;
  }
  if (!duration.empty()) {
    auto ms = parse_duration_ms(duration);
    if (!ms.ok()) return bad("duration: " + ms.status().message());
    if (*ms <= 0) return bad("duration must be positive");
    f.end_ms = f.start_ms + *ms;
  }
  return f;
}

std::string ground_truth_json(int64_t origin_ms, const std::vector<Fault>& faults) {
  json::Writer w;
  w.begin_object().key("origin").value(format_rfc3339_ms(origin_ms));
  w.key("origin_ms").value(origin_ms).key("faults").begin_array();
  for (const Fault& f : faults) {
    const bool open = f.end_ms == std::numeric_limits<int64_t>::max();
    w.begin_object()
        .key("kind")
        .value(fault_kind_name(f.kind))
        .key("target")
        .value(f.target)
        .key("spec")
        .value(f.spec)
        .key("start")
        .value(format_rfc3339_ms(f.start_ms))
        .key("start_ms")
        .value(f.start_ms)
        .key("end");
    if (open) {
      w.null().key("end_ms").null();
    } else {
      w.value(format_rfc3339_ms(f.end_ms)).key("end_ms").value(f.end_ms);
    }
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace opsight::demo
