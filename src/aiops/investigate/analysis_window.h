#pragma once
// The window an investigation analyses and the baseline before it:
//   baseline B = [baseline_start_ms, start_ms), window W = [start_ms, end_ms), Unix ms.
//
// Thread safety: plain value.

#include <cstdint>

#include "storage/metric_store.h"

namespace opsight::aiops {

struct AnalysisWindow {
  storage::Tenant tenant;
  int64_t baseline_start_ms = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

}  // namespace opsight::aiops
