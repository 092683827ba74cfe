// Fuzz target: the CBOR decoder (wire/cbor.h) never crashes on untrusted input, and what it
// accepts re-encodes to bytes that decode again and re-encode identically.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/cbor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::wire;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto item = cbor::decode(in, cbor::DecodeLimits{32, 100'000});
  if (!item.ok()) return 0;
  std::string once = cbor::encode(*item);
  auto again = cbor::decode(once, cbor::DecodeLimits{32, 100'000});
  if (!again.ok()) std::abort();
  if (cbor::encode(*again) != once) std::abort();
  return 0;
}
