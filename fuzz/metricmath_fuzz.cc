// Fuzz target: the Metric Math expression parser and the GetMetricData JSON request parser (with
// validation: ids, references, cycles, limits) never crash and never accept what validation
// refuses. The first byte picks the parser; the rest is its input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "query/metricmath/get_metric_data.h"
#include "query/metricmath/json_codec.h"
#include "query/metricmath/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namespace mm = opsight::query::metricmath;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    (void)mm::parse_expression(in);
    return 0;
  }
  auto req = mm::parse_get_metric_data_json(in, 1'700'000'000'000);
  if (req.ok()) {
    (void)mm::validate_get_metric_data(*req, mm::MetricMathOptions{});
    (void)mm::validate_metric_data_queries(req->queries, mm::MetricMathOptions{});
  }
  return 0;
}
