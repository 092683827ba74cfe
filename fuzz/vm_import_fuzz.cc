// Fuzz target: VictoriaMetrics JSON-lines import never crashes, and every imported series
// exports and imports again to the same labels and bit-exact samples.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/vm/jsonl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  MetricBatch out;
  if (!vm::decode_import(body, &out).ok()) return 0;
  std::string exported;
  for (const auto& s : out.series) vm::encode_export_line(s.labels, s.samples, &exported);
  MetricBatch out2;
  if (!vm::decode_import(exported, &out2).ok() || !out2.errors.empty()) std::abort();
  if (out2.series.size() != out.series.size()) std::abort();
  for (size_t i = 0; i < out.series.size(); i++) {
    if (!(out2.series[i].labels == out.series[i].labels)) std::abort();
    if (out2.series[i].samples.size() != out.series[i].samples.size()) std::abort();
    for (size_t k = 0; k < out.series[i].samples.size(); k++) {
      if (!out2.series[i].samples[k].same_as(out.series[i].samples[k])) std::abort();
    }
  }
  return 0;
}
