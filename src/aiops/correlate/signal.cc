#include "aiops/correlate/signal.h"

namespace opsight::aiops {

std::string_view signal_kind_name(SignalKind kind) {
  switch (kind) {
    case SignalKind::kAlarm:
      return "alarm";
    case SignalKind::kAnomaly:
      return "anomaly";
    case SignalKind::kLogAnomaly:
      return "log";
    case SignalKind::kRed:
      return "red";
    case SignalKind::kChange:
      return "change";
  }
  return "alarm";
}

// "<account>/<region>/<kind>/<source>": account and region never contain '/', kind is one of
// five words, so two different (tenant, kind, source) never give the same key.
std::string signal_key(const Signal& signal) {
  const std::string_view kind = signal_kind_name(signal.kind);
  std::string key;
  key.reserve(signal.tenant.account.size() + signal.tenant.region.size() + kind.size() +
              signal.source.size() + 3);
  key.append(signal.tenant.account).append("/").append(signal.tenant.region).append("/");
  key.append(kind).append("/").append(signal.source);
  return key;
}

}  // namespace opsight::aiops
