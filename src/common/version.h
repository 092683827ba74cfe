#pragma once
// The opsight version (CMake's project version) and the Prometheus API version it implements.

#include <string_view>

namespace opsight {

std::string_view version();
// The Prometheus release whose HTTP API and PromQL semantics opsight follows; reported as
// `version` by /api/v1/status/buildinfo so clients enable the matching features.
inline constexpr std::string_view kPrometheusApiVersion = "2.42.0";

}  // namespace opsight
