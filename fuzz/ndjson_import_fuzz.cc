// Fuzz target: NDJSON log import (decode_ndjson_import). Every non-blank line is either an
// event or exactly one error.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/logs/ndjson_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  size_t lines = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) lines++;
    pos = end + 1;
  }
  LogBatch out;
  LogLimits limits;
  opsight::Status st =
      logs::decode_ndjson_import(body, "/fuzz", "s", 1'700'000'000'000, 30, limits, &out);
  if (!st.ok()) {
    if (lines <= limits.max_events_per_request || !out.streams.empty()) std::abort();
    return 0;
  }
  if (out.event_count() + out.errors.size() != lines) std::abort();
  return 0;
}
