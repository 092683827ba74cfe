#pragma once
// Little-endian fixed-width and LEB128 varint encoding, and zigzag for signed integers.
// Decoders take a [p, end) range and return nullptr when the input is truncated or malformed.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace opsight {

inline void put_fixed32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}
inline void put_fixed64(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
inline uint32_t decode_fixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t decode_fixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void put_varint64(std::string& out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

inline uint64_t zigzag_encode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t zigzag_decode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
inline void put_varsint64(std::string& out, int64_t v) {
  put_varint64(out, zigzag_encode(v));
}

// Returns the position after the varint, or nullptr if truncated / longer than 10 bytes.
inline const char* get_varint64(const char* p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < end; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

inline void put_length_prefixed(std::string& out, std::string_view s) {
  put_varint64(out, s.size());
  out.append(s);
}
inline const char* get_length_prefixed(const char* p, const char* end, std::string_view* s) {
  uint64_t len;
  p = get_varint64(p, end, &len);
  if (p == nullptr || len > static_cast<uint64_t>(end - p)) return nullptr;
  *s = std::string_view(p, len);
  return p + len;
}

}  // namespace opsight
