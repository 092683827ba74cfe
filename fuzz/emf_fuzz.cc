// Fuzz target: Embedded Metric Format extraction (extract_emf_metrics). An EMF document yields
// either series or exactly one error; anything else yields nothing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/logs/emf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  MetricBatch out;
  bool emf = logs::extract_emf_metrics(in, "e", &out);
  if (!emf && (!out.series.empty() || !out.errors.empty())) std::abort();
  if (emf && !out.errors.empty() && (!out.series.empty() || out.errors.size() != 1)) std::abort();
  for (const auto& s : out.series) {
    if (s.samples.size() != 1 || s.labels.metric_name().empty() || !s.labels.has("Namespace")) {
      std::abort();
    }
  }
  return 0;
}
