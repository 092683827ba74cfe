// Fuzz target: OTLP traces decoding, protobuf and JSON (decode_traces_protobuf,
// decode_traces_json) on the same input. Each either fails with InvalidArgument and adds
// nothing, or lists every rejected span once; every kept span satisfies storage::check_span.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/traces/otlp_traces_json.h"
#include "ingest/traces/otlp_traces_pb.h"

namespace {

void check(opsight::Status st, const opsight::ingest::traces::TraceBatch& out,
           const opsight::ingest::traces::OtlpTracesResult& res) {
  if (!st.ok()) {
    if (st.code() != opsight::Code::kInvalidArgument || !out.spans.empty()) std::abort();
    return;
  }
  if (res.rejected_spans != out.errors.size()) std::abort();
  if (res.rejected_spans > 0 && res.error_message.empty()) std::abort();
  for (const auto& s : out.spans) {
    if (!opsight::storage::check_span(s).empty()) std::abort();
    if (s.service.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest::traces;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  TraceLimits limits;
  limits.max_spans_per_request = 1000;
  {
    TraceBatch out;
    OtlpTracesResult res;
    check(decode_traces_protobuf(body, limits, &out, &res), out, res);
    (void)encode_traces_response_protobuf(res);
  }
  {
    TraceBatch out;
    OtlpTracesResult res;
    check(decode_traces_json(body, limits, &out, &res), out, res);
    (void)encode_traces_response_json(res);
  }
  return 0;
}
