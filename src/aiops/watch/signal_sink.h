#pragma once
// What the watchers (red_watcher.h, log_watcher.h) hand their signals to, and how they learn the
// tenants to watch.
//
// SignalSink: called once per signal, from the thread that runs the watcher's run_once(). It
// returns true when it took the signal; false (a full queue, a store that refused it) tells the
// watcher to keep its previous state for that source, so the transition is offered again on the
// next pass (see each watcher for the exact retry rule). The server connects it to
// IncidentService::submit; tests collect into a vector.
//
// TenantsFn: the tenants a pass looks at. Neither storage::MetricStore nor storage::LogStore can
// list their tenants, so the owner says which: the default watches the default tenant only.
//
// Thread safety: the watchers call these from the run_once() thread only.

#include <functional>
#include <vector>

#include "aiops/correlate/signal.h"
#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::aiops::watch {

using SignalSink = std::function<bool(aiops::Signal)>;
using TenantsFn = std::function<std::vector<storage::Tenant>()>;

// {Tenant{}}: the default account and region.
inline std::vector<storage::Tenant> default_tenant_only() {
  return {storage::Tenant{}};
}

}  // namespace opsight::aiops::watch
