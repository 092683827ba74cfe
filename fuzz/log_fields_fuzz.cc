// Fuzz target: JSON field discovery (storage::discover_fields). Names are unique and non-empty,
// at most kMaxDiscoveredFields are added, and pre-existing entries are untouched.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "storage/log_fields.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::storage;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<LogAttribute> out{{"pre", "x"}};
  discover_fields(in, &out);
  if (out.empty() || out[0].key != "pre" || out[0].value != "x") std::abort();
  if (out.size() > kMaxDiscoveredFields + 1) std::abort();
  std::set<std::string> names;
  for (const auto& f : out) {
    if (f.key.empty() || !names.insert(f.key).second) std::abort();
  }
  return 0;
}
