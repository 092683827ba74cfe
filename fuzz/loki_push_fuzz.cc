// Fuzz target: Loki push decoding, JSON and (uncompressed and snappy) protobuf, plus the
// label-set parser, on the same input. Failures are InvalidArgument and add nothing; kept
// streams are named by a label set that parses back to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/logs/loki_labels.h"
#include "ingest/logs/loki_push.h"

namespace {

void check(opsight::Status st, const opsight::ingest::LogBatch& out) {
  using namespace opsight::ingest::logs;
  if (!st.ok()) {
    if (!out.streams.empty()) std::abort();
    return;
  }
  for (const auto& s : out.streams) {
    auto labels = parse_label_set(s.stream);
    if (!labels.ok() || loki_stream_name(*labels) != s.stream) std::abort();
    if (loki_group_name(*labels) != s.group) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  LogLimits limits;
  limits.max_events_per_request = 1000;
  {
    LogBatch out;
    check(logs::decode_loki_push_json(body, limits, &out), out);
  }
  {
    LogBatch out;
    check(logs::decode_loki_push_protobuf_raw(body, limits, &out), out);
  }
  {
    LogBatch out;
    check(logs::decode_loki_push_protobuf(body, limits, &out), out);
  }
  auto labels = logs::parse_label_set(body);
  if (labels.ok()) {
    auto again = logs::parse_label_set(logs::loki_stream_name(*labels));
    if (!again.ok() || !(*again == *labels)) std::abort();
  }
  return 0;
}
