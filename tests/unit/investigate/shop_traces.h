#pragma once
// Test helper: the demo shop's spans (demo/shop.h) written into a real trace store, minute by
// minute, with faults given as demo fault specs relative to the origin.

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "demo/faults.h"
#include "demo/shop.h"
#include "storage/tracestore/store.h"

namespace opsight::testing {

// Opens a trace store under `dir` whose clock reads `now_ms` (so nothing is past retention).
inline Result<std::unique_ptr<storage::tracestore::Store>> open_trace_store(const std::string& dir,
                                                                            Clock* clock) {
  storage::tracestore::Options o;
  o.dir = dir;
  o.clock = clock;
  o.background = false;
  o.wal_sync = storage::wal::SyncPolicy::kInterval;
  return storage::tracestore::Store::open(o);
}

// Simulates `minutes` of the shop from `origin_ms` at `rps` and appends every span for `tenant`.
inline Status fill_shop(storage::TraceStore& store, const storage::Tenant& tenant,
                        int64_t origin_ms, int minutes, double rps,
                        const std::vector<std::string>& faults, uint64_t seed = 7) {
  demo::ShopOptions o;
  o.rps = rps;
  o.seed = seed;
  for (const std::string& spec : faults) {
    ASSIGN_OR_RETURN(demo::Fault f, demo::parse_fault(spec, origin_ms));
    o.faults.push_back(f);
  }
  demo::Shop shop(o);
  for (int m = 0; m < minutes; m++) {
    const int64_t t = origin_ms + int64_t{m} * 60'000;
    demo::Telemetry tel;
    shop.simulate(t, t + 60'000, &tel);
    auto app = store.appender(tenant);
    for (auto& [service, st] : tel) RETURN_IF_ERROR(app->append(std::move(st.spans)));
    RETURN_IF_ERROR(app->commit());
  }
  return OkStatus();
}

}  // namespace opsight::testing
