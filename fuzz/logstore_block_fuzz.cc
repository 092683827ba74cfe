// Fuzz target: open a log block (docs/format/logstore.md) from arbitrary bytes, test the token
// filter and decode every column. Malformed input must be Corruption, never a crash, a hang or
// an unbounded allocation.
//
// Input: one mode byte, then the file. With an odd mode byte the header checksum in the footer
// is recomputed first, so that mutations reach the header parser (dictionaries, shapes, column
// table) instead of stopping at a CRC mismatch.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/env.h"
#include "storage/logstore/block.h"

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

// Footer (24 bytes): fixed64 header offset, fixed32 header length, fixed32 header crc, magic.
void fix_header_checksum(std::string& f) {
  using opsight::storage::logstore::kBlockFooterBytes;
  if (f.size() < kBlockFooterBytes) return;
  char* footer = f.data() + f.size() - kBlockFooterBytes;
  const uint64_t off = opsight::decode_fixed64(footer);
  const uint32_t len = opsight::decode_fixed32(footer + 8);
  if (off > f.size() || len > f.size() - off) return;
  const uint32_t crc = opsight::crc32c::mask(opsight::crc32c::extend(0, f.data() + off, len));
  std::memcpy(footer + 12, &crc, 4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::storage::logstore;
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) fix_header_checksum(bytes);
  auto block = LogBlock::open_file(std::make_unique<MemFile>(std::move(bytes)), "fuzz");
  if (!block.ok()) return 0;
  const std::vector<std::string> subs{"error", "GET /", "x"};
  (void)(*block)->may_contain(subs);
  DecodedBlock d;
  if (!(*block)->decode_keys(&d).ok()) return 0;
  if (!(*block)->decode_rest(&d).ok()) return 0;
  // Decoded views must be readable.
  size_t sum = 0;
  for (auto m : d.message) sum += m.size();
  for (const auto& f : d.fields) sum += f.name.size() + f.value.size();
  return sum == SIZE_MAX ? 1 : 0;
}
