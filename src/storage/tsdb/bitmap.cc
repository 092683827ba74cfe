#include "storage/tsdb/bitmap.h"

#include <roaring/roaring.h>

#include <bit>
#include <cstring>
#include <new>

namespace opsight::storage::tsdb {

namespace {

roaring_bitmap_t* checked(roaring_bitmap_t* r) {
  if (r == nullptr) throw std::bad_alloc();  // allocation failure only: not an input error
  return r;
}

uint16_t load16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// RoaringFormatSpec constants.
constexpr uint32_t kSerialCookieNoRun = 12346;
constexpr uint32_t kSerialCookie = 12347;
constexpr uint32_t kNoOffsetThreshold = 4;
constexpr uint32_t kMaxArrayCardinality = 4096;
constexpr size_t kBitsetBytes = 8192;

}  // namespace

Bitmap::Bitmap() : r_(checked(roaring_bitmap_create())) {}
Bitmap::~Bitmap() {
  if (r_ != nullptr) roaring_bitmap_free(r_);
}
Bitmap::Bitmap(const Bitmap& o) : r_(checked(roaring_bitmap_copy(o.r_))) {}
Bitmap& Bitmap::operator=(const Bitmap& o) {
  if (this != &o) roaring_bitmap_overwrite(r_, o.r_);
  return *this;
}
Bitmap::Bitmap(Bitmap&& o) noexcept : r_(o.r_) {
  o.r_ = checked(roaring_bitmap_create());
}
Bitmap& Bitmap::operator=(Bitmap&& o) noexcept {
  std::swap(r_, o.r_);
  return *this;
}

void Bitmap::add(uint32_t v) {
  roaring_bitmap_add(r_, v);
}
void Bitmap::remove(uint32_t v) {
  roaring_bitmap_remove(r_, v);
}
bool Bitmap::contains(uint32_t v) const {
  return roaring_bitmap_contains(r_, v);
}
uint64_t Bitmap::cardinality() const {
  return roaring_bitmap_get_cardinality(r_);
}
bool Bitmap::empty() const {
  return roaring_bitmap_is_empty(r_);
}
void Bitmap::clear() {
  roaring_bitmap_clear(r_);
}
uint32_t Bitmap::maximum() const {
  return roaring_bitmap_maximum(r_);
}

Bitmap& Bitmap::operator|=(const Bitmap& o) {
  roaring_bitmap_or_inplace(r_, o.r_);
  return *this;
}
Bitmap& Bitmap::operator&=(const Bitmap& o) {
  roaring_bitmap_and_inplace(r_, o.r_);
  return *this;
}
Bitmap& Bitmap::operator-=(const Bitmap& o) {
  roaring_bitmap_andnot_inplace(r_, o.r_);
  return *this;
}

bool Bitmap::intersects(const Bitmap& o) const {
  return roaring_bitmap_intersect(r_, o.r_);
}

std::vector<uint32_t> Bitmap::to_vector() const {
  std::vector<uint32_t> out(cardinality());
  if (!out.empty()) roaring_bitmap_to_uint32_array(r_, out.data());
  return out;
}

void Bitmap::serialize(std::string* out) const {
  roaring_bitmap_t* copy = checked(roaring_bitmap_copy(r_));
  roaring_bitmap_run_optimize(copy);
  size_t n = roaring_bitmap_portable_size_in_bytes(copy);
  size_t at = out->size();
  out->resize(at + n);
  roaring_bitmap_portable_serialize(copy, out->data() + at);
  roaring_bitmap_free(copy);
}

size_t Bitmap::memory_bytes() const {
  return roaring_bitmap_size_in_bytes(r_) + sizeof(*this);
}

Status Bitmap::validate_portable(std::string_view data) {
  const char* base = data.data();
  const size_t n = data.size();
  auto bad = [](const char* why) {
    return Status::corruption(std::string("postings bitmap: ") + why);
  };
  if (n < 4) return bad("shorter than its cookie");
  uint32_t cookie = load32(base);
  size_t pos = 4;
  uint32_t size = 0;
  bool has_runs = false;
  const char* run_flags = nullptr;
  bool has_offsets = true;
  if ((cookie & 0xFFFF) == kSerialCookie) {
    has_runs = true;
    size = (cookie >> 16) + 1;
    size_t flag_bytes = (size + 7) / 8;
    if (n - pos < flag_bytes) return bad("truncated run flags");
    run_flags = base + pos;
    pos += flag_bytes;
    has_offsets = size >= kNoOffsetThreshold;
  } else if (cookie == kSerialCookieNoRun) {
    if (n - pos < 4) return bad("truncated container count");
    size = load32(base + pos);
    pos += 4;
  } else {
    return bad("unknown cookie");
  }
  if (size > 65536) return bad("too many containers");
  if ((n - pos) / 4 < size) return bad("truncated descriptive header");
  const char* header = base + pos;
  pos += size_t{size} * 4;
  const char* offsets = nullptr;
  if (has_offsets) {
    if ((n - pos) / 4 < size) return bad("truncated offset header");
    offsets = base + pos;
    pos += size_t{size} * 4;
  }
  int64_t prev_key = -1;
  for (uint32_t i = 0; i < size; i++) {
    uint16_t key = load16(header + 4 * i);
    uint32_t card = uint32_t{load16(header + 4 * i + 2)} + 1;
    if (int64_t{key} <= prev_key) return bad("container keys not ascending");
    prev_key = key;
    if (offsets != nullptr && load32(offsets + 4 * i) != pos) return bad("bad container offset");
    bool is_run = has_runs && ((static_cast<unsigned char>(run_flags[i / 8]) >> (i % 8)) & 1);
    if (is_run) {
      if (n - pos < 2) return bad("truncated run container");
      uint32_t runs = load16(base + pos);
      pos += 2;
      if (runs == 0) return bad("empty run container");
      if ((n - pos) / 4 < runs) return bad("truncated run container");
      int64_t prev_end = -1;
      uint64_t total = 0;
      for (uint32_t r = 0; r < runs; r++) {
        uint32_t start = load16(base + pos + 4 * r);
        uint32_t len = load16(base + pos + 4 * r + 2);
        if (int64_t{start} <= prev_end) return bad("runs overlap or are not ascending");
        if (start + len > 0xFFFF) return bad("run exceeds its container");
        prev_end = start + len;
        total += len + 1;
      }
      if (total != card) return bad("run container cardinality mismatch");
      pos += size_t{runs} * 4;
    } else if (card > kMaxArrayCardinality) {
      if (n - pos < kBitsetBytes) return bad("truncated bitset container");
      uint64_t pop = 0;
      for (size_t w = 0; w < kBitsetBytes / 8; w++) {
        uint64_t word;
        std::memcpy(&word, base + pos + 8 * w, 8);
        pop += std::popcount(word);
      }
      if (pop != card) return bad("bitset container cardinality mismatch");
      pos += kBitsetBytes;
    } else {
      if ((n - pos) / 2 < card) return bad("truncated array container");
      int64_t prev = -1;
      for (uint32_t k = 0; k < card; k++) {
        uint16_t v = load16(base + pos + 2 * k);
        if (int64_t{v} <= prev) return bad("array container not strictly ascending");
        prev = v;
      }
      pos += size_t{card} * 2;
    }
  }
  if (pos != n) return bad("trailing bytes");
  return OkStatus();
}

Result<Bitmap> Bitmap::deserialize(std::string_view data) {
  RETURN_IF_ERROR(validate_portable(data));
  roaring_bitmap_t* r = roaring_bitmap_portable_deserialize_safe(data.data(), data.size());
  if (r == nullptr) return Status::corruption("postings bitmap: rejected by the decoder");
  return Bitmap(r);
}

}  // namespace opsight::storage::tsdb
