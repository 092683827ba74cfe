#include "wire/protobuf.h"

namespace opsight::wire::pb {

bool Reader::next() {
  if (p_ >= end_ || error_ != nullptr) return false;
  uint64_t key;
  p_ = get_varint64(p_, end_, &key);
  if (p_ == nullptr) {
    p_ = end_;
    fail("truncated field tag");
    return false;
  }
  field_ = static_cast<uint32_t>(key >> 3);
  wt_ = static_cast<WireType>(key & 7);
  if (field_ == 0 || (key >> 3) > 0x1fffffff) {
    fail("invalid field number");
    return false;
  }
  switch (wt_) {
    case kVarint:
      p_ = get_varint64(p_, end_, &scalar_);
      if (p_ == nullptr) {
        p_ = end_;
        fail("truncated varint");
        return false;
      }
      return true;
    case kFixed64:
      if (end_ - p_ < 8) {
        fail("truncated fixed64");
        return false;
      }
      scalar_ = decode_fixed64(p_);
      p_ += 8;
      return true;
    case kFixed32:
      if (end_ - p_ < 4) {
        fail("truncated fixed32");
        return false;
      }
      scalar_ = decode_fixed32(p_);
      p_ += 4;
      return true;
    case kLengthDelimited: {
      const char* q = get_length_prefixed(p_, end_, &payload_);
      if (q == nullptr) {
        fail("truncated length-delimited field");
        return false;
      }
      p_ = q;
      return true;
    }
    default:
      // Groups are deprecated and never used by the formats opsight reads.
      fail("unsupported wire type (group)");
      return false;
  }
}

uint64_t Reader::varint() {
  if (wt_ != kVarint) {
    fail("wire type mismatch: expected varint");
    return 0;
  }
  return scalar_;
}

uint64_t Reader::fixed64() {
  if (wt_ != kFixed64) {
    fail("wire type mismatch: expected fixed64");
    return 0;
  }
  return scalar_;
}

uint32_t Reader::fixed32() {
  if (wt_ != kFixed32) {
    fail("wire type mismatch: expected fixed32");
    return 0;
  }
  return static_cast<uint32_t>(scalar_);
}

double Reader::dbl() {
  uint64_t b = fixed64();
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}

float Reader::flt() {
  uint32_t b = fixed32();
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}

std::string_view Reader::bytes() {
  if (wt_ != kLengthDelimited) {
    fail("wire type mismatch: expected length-delimited");
    return {};
  }
  return payload_;
}

}  // namespace opsight::wire::pb
