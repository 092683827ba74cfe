#pragma once
// Internal knobs of the block series encoder (chunk.h), for benchmarks and tests that measure
// what each codec choice is worth. Production code calls encode_block_series().

#include <span>
#include <string>

#include "storage/sample.h"

namespace opsight::storage::tsdb::internal {

struct BlockEncodeOptions {
  bool grid_timestamps = true;  // else always delta-of-delta timestamps
  bool decimal_values = true;   // else values are kConst or kGorilla only
};

// encode_block_series() with some codecs disabled; the output decodes with
// decode_block_series() like any other.
void encode_block_series_with(const BlockEncodeOptions& options, std::span<const Sample> samples,
                              std::string* out);

}  // namespace opsight::storage::tsdb::internal
