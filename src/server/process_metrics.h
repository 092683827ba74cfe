#pragma once
// Standard process_* metrics (Prometheus client conventions) read from /proc/self, and
// opsight_build_info. Registered once into the global registry.

namespace opsight::server {

void register_process_metrics();

}  // namespace opsight::server
