#pragma once
// Bit-granular writer and reader for the Gorilla head-chunk encoding (chunk.h). Bits are packed
// most-significant first into bytes, so the byte string is the bit string read left to right;
// unused low bits of the last byte are zero.
//
// Thread safety: none; one owner. A BitReader reads a byte range that its caller keeps alive.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace opsight::storage::tsdb {

class BitWriter {
 public:
  // Appends the low `nbits` bits of `v`, most significant first. 0 <= nbits <= 64.
  void write_bits(uint64_t v, int nbits) {
    if (nbits <= 0) return;
    if (nbits < 64) v &= (uint64_t{1} << nbits) - 1;
    while (nbits > 0) {
      if (free_bits_ == 0) {
        buf_.push_back('\0');
        free_bits_ = 8;
      }
      int take = nbits < free_bits_ ? nbits : free_bits_;
      auto chunk = static_cast<unsigned>((v >> (nbits - take)) & ((1u << take) - 1));
      buf_.back() = static_cast<char>(static_cast<unsigned char>(buf_.back()) |
                                      (chunk << (free_bits_ - take)));
      free_bits_ -= take;
      nbits -= take;
    }
  }
  void write_bit(bool b) { write_bits(b ? 1 : 0, 1); }

  std::string_view data() const { return buf_; }
  size_t bit_size() const { return buf_.size() * 8 - static_cast<size_t>(free_bits_); }
  size_t capacity() const { return buf_.capacity(); }
  void reserve(size_t bytes) { buf_.reserve(bytes); }

 private:
  std::string buf_;
  int free_bits_ = 0;  // unused low bits of buf_.back()
};

class BitReader {
 public:
  BitReader() = default;
  explicit BitReader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), size_bits_(data.size() * 8) {}

  // Reads `nbits` (0..64) bits into *v. False, consuming nothing, when fewer remain.
  bool read_bits(int nbits, uint64_t* v) {
    if (static_cast<size_t>(nbits) > size_bits_ - pos_) return false;
    uint64_t r = 0;
    while (nbits > 0) {
      int bit_in_byte = static_cast<int>(pos_ & 7);
      int avail = 8 - bit_in_byte;
      int take = nbits < avail ? nbits : avail;
      unsigned byte = p_[pos_ >> 3];
      unsigned chunk = (byte >> (avail - take)) & ((1u << take) - 1);
      r = (take == 64 ? 0 : r << take) | chunk;
      pos_ += static_cast<size_t>(take);
      nbits -= take;
    }
    *v = r;
    return true;
  }
  bool read_bit(bool* b) {
    if (pos_ >= size_bits_) return false;
    *b = (p_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    return true;
  }
  size_t bits_left() const { return size_bits_ - pos_; }

 private:
  const uint8_t* p_ = nullptr;
  size_t size_bits_ = 0;
  size_t pos_ = 0;
};

}  // namespace opsight::storage::tsdb
