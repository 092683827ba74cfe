#pragma once
// HPACK header compression (RFC 7541): integer and string literal representations (§5), the
// static table (Appendix A), the dynamic table with size-based eviction (§4) and the Huffman
// code (hpack_huffman.h).
//
// The decoder is complete. The encoder is deliberately simple: it never adds entries to the
// peer's dynamic table (literal header fields without indexing, §6.2.2), referencing static
// entries by index, so it has no state to keep in sync and the order in which header blocks are
// encoded does not matter. Responses of a gRPC server are small, so the missed compression is
// a few bytes per response.
//
// Neither class is thread-safe; one decoder belongs to one connection.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::http2 {

struct HeaderField {
  std::string name;
  std::string value;
  bool operator==(const HeaderField&) const = default;
};

// The size the header list limits count (RFC 7541 §4.1, RFC 9113 §6.5.2): name + value + 32.
inline size_t header_field_size(std::string_view name, std::string_view value) {
  return name.size() + value.size() + 32;
}

// §5.1: appends `value` with an N-bit prefix; `first_byte_flags` fills the bits above it.
void hpack_encode_int(uint64_t value, int prefix_bits, uint8_t first_byte_flags, std::string* out);
// Decodes an N-bit prefix integer at `*pos`, advancing it. Rejects values above 2^32-1.
Status hpack_decode_int(std::string_view in, size_t* pos, int prefix_bits, uint64_t* value);

class HpackDecoder {
 public:
  // `max_table_size`: SETTINGS_HEADER_TABLE_SIZE this endpoint advertised; the peer's dynamic
  // table size updates may not exceed it.
  explicit HpackDecoder(size_t max_table_size = 4096);

  // Decodes one complete header block (HEADERS + CONTINUATION fragments joined). Fields are
  // appended to `out` while the list size stays within `max_list_size`; beyond it, fields are
  // still decoded (the dynamic table must stay in sync with the peer) but dropped, and
  // `*too_large` is set. An error is a COMPRESSION_ERROR for the connection.
  Status decode(std::string_view block, size_t max_list_size, std::vector<HeaderField>* out,
                bool* too_large);

  // Dynamic table introspection (index 0 = newest), for tests.
  size_t table_size() const { return size_; }
  size_t table_entries() const { return table_.size(); }
  const HeaderField& table_entry(size_t i) const { return table_[i]; }
  size_t max_table_size() const { return max_size_; }

 private:
  Status lookup(uint64_t index, std::string_view* name, std::string_view* value) const;
  Status read_string(std::string_view in, size_t* pos, std::string* out) const;
  void insert(HeaderField f);
  void evict_to(size_t limit);

  size_t settings_limit_;
  size_t max_size_;
  size_t size_ = 0;
  std::deque<HeaderField> table_;
};

class HpackEncoder {
 public:
  // Appends a header block for `fields` (names must be lower case). Strings are Huffman coded
  // when that is shorter.
  static void encode(const std::vector<HeaderField>& fields, std::string* out);
};

}  // namespace opsight::http2
