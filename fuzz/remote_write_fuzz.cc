// Fuzz target: Prometheus remote write decoding never crashes, and whatever decodes re-encodes
// and decodes again to the same series (labels and bit-exact samples).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/prometheus/remote_write.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  MetricBatch out;
  if (!prometheus::decode_remote_write(body, &out).ok()) return 0;
  std::string again = prometheus::encode_remote_write(out.series, out.metadata);
  MetricBatch out2;
  if (!prometheus::decode_remote_write(again, &out2).ok()) std::abort();
  if (out2.series.size() != out.series.size() || !out2.errors.empty()) std::abort();
  for (size_t i = 0; i < out.series.size(); i++) {
    if (!(out2.series[i].labels == out.series[i].labels)) std::abort();
    if (out2.series[i].samples.size() != out.series[i].samples.size()) std::abort();
    for (size_t k = 0; k < out.series[i].samples.size(); k++) {
      if (!out2.series[i].samples[k].same_as(out.series[i].samples[k])) std::abort();
    }
  }
  return 0;
}
