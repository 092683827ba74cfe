// Fuzz target: CloudWatch PutMetricData (JSON 1.0) decoding never crashes, and every series it
// produces has exactly one sample and a metric name.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/aws/put_metric_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  MetricBatch out;
  if (!aws::decode_put_metric_data(body, 1700000000000, &out).ok()) return 0;
  for (const auto& s : out.series) {
    if (s.samples.size() != 1 || s.labels.metric_name().empty()) std::abort();
  }
  return 0;
}
