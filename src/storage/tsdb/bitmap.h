#pragma once
// Bitmap: an owning RAII wrapper of a CRoaring bitmap (roaring_bitmap_t, C API) holding series
// refs, plus a validator for the portable serialisation so a block read from disk can never
// hand malformed bytes to CRoaring (whose 0.2.x deserialiser trusts container contents).
//
// Portable format: https://github.com/RoaringBitmap/RoaringFormatSpec (cookie, descriptive
// header of (key, cardinality-1) pairs, optional offset header, then array / bitset / run
// containers).
//
// Thread safety: const methods may run concurrently; mutation needs exclusive access.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct roaring_bitmap_s;

namespace opsight::storage::tsdb {

class Bitmap {
 public:
  Bitmap();
  ~Bitmap();
  Bitmap(const Bitmap& o);
  Bitmap& operator=(const Bitmap& o);
  Bitmap(Bitmap&& o) noexcept;
  Bitmap& operator=(Bitmap&& o) noexcept;

  void add(uint32_t v);
  void remove(uint32_t v);
  bool contains(uint32_t v) const;
  uint64_t cardinality() const;
  bool empty() const;
  void clear();

  Bitmap& operator|=(const Bitmap& o);
  Bitmap& operator&=(const Bitmap& o);
  Bitmap& operator-=(const Bitmap& o);  // and-not
  bool intersects(const Bitmap& o) const;

  // Values in ascending order.
  std::vector<uint32_t> to_vector() const;
  // Calls fn(v) for each value in ascending order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (uint32_t v : to_vector()) fn(v);
  }
  // Largest value; precondition: !empty().
  uint32_t maximum() const;

  // Appends the portable serialisation to *out.
  void serialize(std::string* out) const;
  // Parses exactly `data` (validated first). Corruption on any malformed input.
  static Result<Bitmap> deserialize(std::string_view data);
  // Checks that `data` is exactly one well-formed portable bitmap: cookie, strictly ascending
  // keys, array values strictly ascending, bitset popcount equal to its cardinality, runs
  // ascending and non-overlapping within 16 bits, offsets consistent, no trailing bytes.
  static Status validate_portable(std::string_view data);

  size_t memory_bytes() const;

 private:
  explicit Bitmap(roaring_bitmap_s* r) : r_(r) {}
  roaring_bitmap_s* r_;
};

}  // namespace opsight::storage::tsdb
