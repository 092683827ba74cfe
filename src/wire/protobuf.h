#pragma once
// Protocol Buffers wire format (protobuf.dev/programming-guides/encoding): a zero-copy reader
// over a byte range and a writer. Used by every hand-written decoder (prompb, OTLP, ...).
// The reader never reads past its range; malformed input makes next() return false with
// error() set, never a crash.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/coding.h"

namespace opsight::wire::pb {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

class Reader {
 public:
  explicit Reader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  // Advances to the next field. False at the end of input or on malformed input (see error()).
  bool next();
  uint32_t field() const { return field_; }
  WireType wire_type() const { return wt_; }

  // Accessors for the current field; each checks the wire type and sets error() on mismatch.
  uint64_t varint();
  int64_t int64() { return static_cast<int64_t>(varint()); }
  int32_t int32() { return static_cast<int32_t>(varint()); }
  uint32_t uint32() { return static_cast<uint32_t>(varint()); }
  bool boolean() { return varint() != 0; }
  int64_t sint64() { return zigzag_decode(varint()); }
  uint64_t fixed64();
  uint32_t fixed32();
  double dbl();
  float flt();
  int64_t sfixed64() { return static_cast<int64_t>(fixed64()); }
  std::string_view bytes();  // also strings and embedded messages

  // Reads the current field as packed repeated values (or a single unpacked element),
  // calling fn for each.
  template <typename Fn>
  void packed_varints(Fn&& fn);
  template <typename Fn>
  void packed_fixed64(Fn&& fn);
  template <typename Fn>
  void packed_doubles(Fn&& fn);

  bool ok() const { return error_ == nullptr; }
  const char* error() const { return error_; }

 private:
  void fail(const char* e) {
    if (error_ == nullptr) error_ = e;
    p_ = end_;
  }
  const char* p_;
  const char* end_;
  uint32_t field_ = 0;
  WireType wt_ = kVarint;
  // Value of the current field (varint / fixed) or its payload (length-delimited).
  uint64_t scalar_ = 0;
  std::string_view payload_;
  const char* error_ = nullptr;
};

class Writer {
 public:
  void varint(uint32_t field, uint64_t v) {
    tag(field, kVarint);
    put_varint64(out_, v);
  }
  void sint64(uint32_t field, int64_t v) { varint(field, zigzag_encode(v)); }
  void fixed64(uint32_t field, uint64_t v) {
    tag(field, kFixed64);
    put_fixed64(out_, v);
  }
  void fixed32(uint32_t field, uint32_t v) {
    tag(field, kFixed32);
    put_fixed32(out_, v);
  }
  void dbl(uint32_t field, double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    fixed64(field, b);
  }
  void bytes(uint32_t field, std::string_view v) {
    tag(field, kLengthDelimited);
    put_varint64(out_, v.size());
    out_.append(v);
  }
  // Embedded message: write it into its own Writer, then message(field, w.str()).
  void message(uint32_t field, std::string_view encoded) { bytes(field, encoded); }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }
  void clear() { out_.clear(); }

 private:
  void tag(uint32_t field, WireType wt) { put_varint64(out_, (uint64_t{field} << 3) | wt); }
  std::string out_;
};

template <typename Fn>
void Reader::packed_varints(Fn&& fn) {
  if (wt_ == kVarint) {
    fn(scalar_);
    return;
  }
  std::string_view d = bytes();
  const char* p = d.data();
  const char* e = p + d.size();
  while (p < e) {
    uint64_t v;
    p = get_varint64(p, e, &v);
    if (p == nullptr) {
      fail("truncated packed varint");
      return;
    }
    fn(v);
  }
}

template <typename Fn>
void Reader::packed_fixed64(Fn&& fn) {
  if (wt_ == kFixed64) {
    fn(scalar_);
    return;
  }
  std::string_view d = bytes();
  if (d.size() % 8 != 0) {
    fail("packed fixed64 length is not a multiple of 8");
    return;
  }
  for (size_t i = 0; i < d.size(); i += 8) fn(decode_fixed64(d.data() + i));
}

template <typename Fn>
void Reader::packed_doubles(Fn&& fn) {
  packed_fixed64([&](uint64_t b) {
    double v;
    std::memcpy(&v, &b, 8);
    fn(v);
  });
}

}  // namespace opsight::wire::pb
