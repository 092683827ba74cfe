// Fuzz target: the X-Ray daemon datagram and segment document decoders
// (ingest/aws/xray_segment.h). The input is tried as a datagram (header line + document) and as
// a bare document. Each decode either fails with InvalidArgument and appends nothing, or appends
// spans that all satisfy storage::check_span, come from the X-Ray origin and share one trace id.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ingest/aws/xray_segment.h"

namespace {

void decode(std::string_view doc) {
  using namespace opsight;
  std::vector<storage::Span> spans;
  Status st = ingest::aws::decode_xray_segment(doc, ingest::traces::TraceLimits{}, &spans);
  if (!st.ok()) {
    if (st.code() != Code::kInvalidArgument || !spans.empty()) std::abort();
    return;
  }
  if (spans.empty()) std::abort();
  for (const auto& s : spans) {
    if (!storage::check_span(s).empty()) std::abort();
    if (s.origin != storage::SpanOrigin::kXray || s.trace_id != spans[0].trace_id) std::abort();
    if (s.service.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto doc = opsight::ingest::aws::xray_datagram_document(in);
  if (doc.ok()) decode(*doc);
  decode(in);
  return 0;
}
