// Fuzz target: open a metrics block data file (docs/format/tsdb.md) from arbitrary bytes, then
// read every series and evaluate a few matchers. Malformed input must be Corruption, never a
// crash, a hang or an unbounded allocation.
//
// Input: one mode byte, then the file. With an odd mode byte the section and footer checksums
// are recomputed first, so that mutations reach the section parsers behind the checksums
// (symbols, series, page table, postings/roaring) instead of stopping at a CRC mismatch.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/env.h"
#include "storage/matcher.h"
#include "storage/tsdb/block.h"

namespace {

using opsight::RandomAccessFile;
using opsight::Status;

class MemFile final : public RandomAccessFile {
 public:
  explicit MemFile(std::string data) : data_(std::move(data)) {}
  Status read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    if (offset > data_.size()) {
      *result = {};
      return Status::io_error("read past the end");
    }
    size_t len = std::min<uint64_t>(n, data_.size() - offset);
    std::memcpy(scratch, data_.data() + offset, len);
    *result = std::string_view(scratch, len);
    return Status();
  }
  uint64_t size() const override { return data_.size(); }

 private:
  std::string data_;
};

// Footer layout (block.cc): 4 x (fixed64 offset, fixed64 length, fixed32 crc), fixed32
// version, fixed32 crc of the preceding footer bytes, 8 bytes magic.
void fix_checksums(std::string& f) {
  constexpr size_t kFooter = 4 * 20 + 4 + 4 + 8;
  if (f.size() < kFooter) return;
  char* footer = f.data() + f.size() - kFooter;
  for (int i = 0; i < 4; i++) {
    uint64_t off = opsight::decode_fixed64(footer + i * 20);
    uint64_t len = opsight::decode_fixed64(footer + i * 20 + 8);
    if (off > f.size() || len > f.size() - off) continue;
    uint32_t crc = opsight::crc32c::mask(opsight::crc32c::extend(0, f.data() + off, len));
    std::memcpy(footer + i * 20 + 16, &crc, 4);
  }
  uint32_t crc = opsight::crc32c::mask(opsight::crc32c::extend(0, footer, 4 * 20 + 4));
  std::memcpy(footer + 4 * 20 + 4, &crc, 4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::storage;
  using namespace opsight::storage::tsdb;
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) fix_checksums(bytes);
  PageCache cache(1 << 20);
  auto file = std::make_unique<MemFile>(std::move(bytes));
  auto reader = BlockReader::open(std::move(file), &cache);
  if (!reader.ok()) return 0;
  const BlockReader& r = **reader;
  std::vector<Sample> samples;
  for (uint32_t i = 0; i < r.num_series(); i++) {
    (void)r.series_labels(i);
    samples.clear();
    (void)r.series_samples(i, INT64_MIN, INT64_MAX, &samples);
  }
  std::vector<Matcher> ms{*Matcher::make(MatchType::kRegexMatch, "__name__", ".+"),
                          *Matcher::make(MatchType::kNotEqual, "job", "x")};
  (void)select_postings(r, ms).cardinality();
  (void)label_names_of(r, r.all_series());
  return 0;
}
