// Fuzz target for the sample decoders (storage/tsdb/chunk.h): decode_block_series and
// ChunkIterator must turn any bytes into samples or Corruption, never crash. Whatever
// decode_block_series accepts must survive a re-encode/decode round trip bit-exactly.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "storage/tsdb/chunk.h"

using opsight::storage::Sample;
namespace tsdb = opsight::storage::tsdb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<Sample> samples;
  if (tsdb::decode_block_series(in, &samples).ok()) {
    std::string again;
    tsdb::encode_block_series(samples, &again);
    std::vector<Sample> back;
    if (!tsdb::decode_block_series(again, &back).ok() || back.size() != samples.size()) abort();
    for (size_t i = 0; i < back.size(); ++i) {
      if (!back[i].same_as(samples[i])) abort();
    }
  }
  // The same bytes as a head chunk of either encoding; a sample takes at least one bit.
  for (auto enc : {tsdb::ChunkEncoding::kXor, tsdb::ChunkEncoding::kStats}) {
    tsdb::ChunkIterator it(enc, in, static_cast<uint32_t>(size * 8 < 100000 ? size * 8 : 100000));
    while (it.next()) {
    }
    (void)it.seek(0);
  }
  return 0;
}
