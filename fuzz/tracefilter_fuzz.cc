// Fuzz target: the X-Ray filter expression parser and evaluator never crash. The input is parsed
// as a filter; when it parses, it is evaluated on a small fixed trace (a root server span with an
// HTTP 503, a client span to a database, an X-Ray annotation) and its push-down plan computed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "query/tracefilter/eval.h"
#include "query/tracefilter/parser.h"
#include "query/tracefilter/plan.h"

namespace {

std::vector<opsight::storage::Span> sample_trace() {
  using opsight::storage::Span;
  using opsight::storage::SpanAttribute;
  Span root;
  root.trace_id = std::string(16, '\1');
  root.span_id = std::string(8, '\2');
  root.service = "api";
  root.name = "GET /x";
  root.kind = opsight::storage::SpanKind::kServer;
  root.start_ns = 1'000'000'000;
  root.end_ns = 2'500'000'000;
  root.status_code = opsight::storage::SpanStatusCode::kError;
  root.attributes = {
      SpanAttribute{"http.request.method", "GET"}, SpanAttribute{"url.full", "https://api/x"},
      SpanAttribute{"http.response.status_code", "503", opsight::storage::AttrType::kInt, true},
      SpanAttribute{"annotation.customer", "acme"}};
  Span db = root;
  db.span_id = std::string(8, '\3');
  db.parent_span_id = root.span_id;
  db.kind = opsight::storage::SpanKind::kClient;
  db.name = "SELECT shop.items";
  db.status_code = opsight::storage::SpanStatusCode::kUnset;
  db.attributes = {SpanAttribute{"db.system", "postgresql"}, SpanAttribute{"db.name", "shop"}};
  return {root, db};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::query::tracefilter;
  if (size > 16 * 1024) return 0;
  auto filter = parse_filter(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!filter.ok()) {
    if (filter.status().message().empty()) std::abort();
    return 0;
  }
  static const std::vector<opsight::storage::Span> spans = sample_trace();
  TraceView view(spans);
  (void)evaluate(*filter, view);
  (void)best_requirement(span_requirements(*filter));
  (void)root_decidable(*filter);
  return 0;
}
