// Fuzz target: the Prometheus text / OpenMetrics parser never crashes on any input, and whatever
// it accepts re-encodes (text 0.0.4, with timestamps) and parses again without errors to the
// same series: labels, timestamps and values (bit-exact, NaN payloads aside).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/prometheus/text_format.h"

namespace {

void roundtrip(std::string_view body, opsight::ingest::prometheus::TextFormat format) {
  using namespace opsight::ingest::prometheus;
  TextParseResult r;
  TextParseOptions o;
  o.format = format;
  o.default_t_ms = 1'700'000'000'000;
  parse_text(body, o, &r);
  if (r.has_timestamp.size() != r.batch.series.size()) std::abort();
  std::string text = encode_text(r.batch.series, r.batch.metadata, true);
  TextParseResult again;
  parse_text(text, TextParseOptions{}, &again);
  if (!again.batch.errors.empty() || again.batch.series.size() != r.batch.series.size()) {
    std::abort();
  }
  for (size_t i = 0; i < r.batch.series.size(); i++) {
    const auto& a = r.batch.series[i];
    const auto& b = again.batch.series[i];
    if (!(a.labels == b.labels) || a.samples.size() != 1 || b.samples.size() != 1) std::abort();
    if (a.samples[0].t != b.samples[0].t) std::abort();
    double x = a.samples[0].v, y = b.samples[0].v;
    if (!(std::isnan(x) && std::isnan(y)) && !opsight::storage::bits_equal(x, y)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  roundtrip(body, opsight::ingest::prometheus::TextFormat::kText004);
  roundtrip(body, opsight::ingest::prometheus::TextFormat::kOpenMetrics);
  return 0;
}
