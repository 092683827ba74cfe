#include "net/http2/hpack.h"

#include <array>

#include "net/http2/hpack_huffman.h"

namespace opsight::http2 {
namespace {

struct StaticEntry {
  std::string_view name;
  std::string_view value;
};

// RFC 7541 Appendix A; index 1 is kStatic[0].
constexpr std::array<StaticEntry, 61> kStatic = {{
    {":authority", ""},
    {":method", "GET"},
    {":method", "POST"},
    {":path", "/"},
    {":path", "/index.html"},
    {":scheme", "http"},
    {":scheme", "https"},
    {":status", "200"},
    {":status", "204"},
    {":status", "206"},
    {":status", "304"},
    {":status", "400"},
    {":status", "404"},
    {":status", "500"},
    {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"},
    {"accept-language", ""},
    {"accept-ranges", ""},
    {"accept", ""},
    {"access-control-allow-origin", ""},
    {"age", ""},
    {"allow", ""},
    {"authorization", ""},
    {"cache-control", ""},
    {"content-disposition", ""},
    {"content-encoding", ""},
    {"content-language", ""},
    {"content-length", ""},
    {"content-location", ""},
    {"content-range", ""},
    {"content-type", ""},
    {"cookie", ""},
    {"date", ""},
    {"etag", ""},
    {"expect", ""},
    {"expires", ""},
    {"from", ""},
    {"host", ""},
    {"if-match", ""},
    {"if-modified-since", ""},
    {"if-none-match", ""},
    {"if-range", ""},
    {"if-unmodified-since", ""},
    {"last-modified", ""},
    {"link", ""},
    {"location", ""},
    {"max-forwards", ""},
    {"proxy-authenticate", ""},
    {"proxy-authorization", ""},
    {"range", ""},
    {"referer", ""},
    {"refresh", ""},
    {"retry-after", ""},
    {"server", ""},
    {"set-cookie", ""},
    {"strict-transport-security", ""},
    {"transfer-encoding", ""},
    {"user-agent", ""},
    {"vary", ""},
    {"via", ""},
    {"www-authenticate", ""},
}};

void encode_string(std::string_view s, std::string* out) {
  const size_t h = huffman_encoded_size(s);
  if (h < s.size()) {
    hpack_encode_int(h, 7, 0x80, out);
    huffman_encode(s, out);
  } else {
    hpack_encode_int(s.size(), 7, 0x00, out);
    out->append(s);
  }
}

}  // namespace

void hpack_encode_int(uint64_t value, int prefix_bits, uint8_t first_byte_flags, std::string* out) {
  const uint64_t max_prefix = (1u << prefix_bits) - 1;
  if (value < max_prefix) {
    out->push_back(static_cast<char>(first_byte_flags | value));
    return;
  }
  out->push_back(static_cast<char>(first_byte_flags | max_prefix));
  value -= max_prefix;
  while (value >= 128) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

Status hpack_decode_int(std::string_view in, size_t* pos, int prefix_bits, uint64_t* value) {
  if (*pos >= in.size()) return Status::invalid_argument("hpack: truncated integer");
  const uint64_t max_prefix = (1u << prefix_bits) - 1;
  uint64_t v = static_cast<uint8_t>(in[(*pos)++]) & max_prefix;
  if (v == max_prefix) {
    int shift = 0;
    while (true) {
      if (*pos >= in.size()) return Status::invalid_argument("hpack: truncated integer");
      const uint8_t b = static_cast<uint8_t>(in[(*pos)++]);
      if (shift > 28) return Status::invalid_argument("hpack: integer too large");
      v += static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
  }
  if (v > 0xffffffffull) return Status::invalid_argument("hpack: integer too large");
  *value = v;
  return OkStatus();
}

HpackDecoder::HpackDecoder(size_t max_table_size)
    : settings_limit_(max_table_size), max_size_(max_table_size) {}

Status HpackDecoder::lookup(uint64_t index, std::string_view* name, std::string_view* value) const {
  if (index == 0) return Status::invalid_argument("hpack: index 0");
  if (index <= kStatic.size()) {
    *name = kStatic[index - 1].name;
    *value = kStatic[index - 1].value;
    return OkStatus();
  }
  const uint64_t d = index - kStatic.size() - 1;
  if (d >= table_.size()) {
    return Status::invalid_argument("hpack: index " + std::to_string(index) +
                                    " beyond the dynamic table");
  }
  *name = table_[d].name;
  *value = table_[d].value;
  return OkStatus();
}

Status HpackDecoder::read_string(std::string_view in, size_t* pos, std::string* out) const {
  if (*pos >= in.size()) return Status::invalid_argument("hpack: truncated string");
  const bool huffman = (static_cast<uint8_t>(in[*pos]) & 0x80) != 0;
  uint64_t len = 0;
  RETURN_IF_ERROR(hpack_decode_int(in, pos, 7, &len));
  if (len > in.size() - *pos) return Status::invalid_argument("hpack: string overruns the block");
  std::string_view raw = in.substr(*pos, len);
  *pos += len;
  out->clear();
  if (huffman) return huffman_decode(raw, out);
  out->assign(raw);
  return OkStatus();
}

void HpackDecoder::evict_to(size_t limit) {
  while (size_ > limit && !table_.empty()) {
    size_ -= header_field_size(table_.back().name, table_.back().value);
    table_.pop_back();
  }
}

void HpackDecoder::insert(HeaderField f) {
  const size_t sz = header_field_size(f.name, f.value);
  if (sz > max_size_) {  // §4.4: an entry larger than the table empties it
    evict_to(0);
    return;
  }
  evict_to(max_size_ - sz);
  size_ += sz;
  table_.push_front(std::move(f));
}

Status HpackDecoder::decode(std::string_view block, size_t max_list_size,
                            std::vector<HeaderField>* out, bool* too_large) {
  size_t pos = 0;
  size_t list_size = 0;
  bool field_seen = false;
  *too_large = false;
  auto emit = [&](std::string_view name, std::string_view value) {
    field_seen = true;
    list_size += header_field_size(name, value);
    if (list_size > max_list_size) {
      *too_large = true;
      return;
    }
    out->push_back(HeaderField{std::string(name), std::string(value)});
  };
  while (pos < block.size()) {
    const uint8_t b = static_cast<uint8_t>(block[pos]);
    if (b & 0x80) {  // §6.1 indexed header field
      uint64_t index = 0;
      RETURN_IF_ERROR(hpack_decode_int(block, &pos, 7, &index));
      std::string_view name, value;
      RETURN_IF_ERROR(lookup(index, &name, &value));
      emit(name, value);
      continue;
    }
    if ((b & 0xe0) == 0x20) {  // §6.3 dynamic table size update
      if (field_seen) {
        return Status::invalid_argument("hpack: table size update after a header field");
      }
      uint64_t size = 0;
      RETURN_IF_ERROR(hpack_decode_int(block, &pos, 5, &size));
      if (size > settings_limit_) {
        return Status::invalid_argument("hpack: table size update " + std::to_string(size) +
                                        " above the advertised " + std::to_string(settings_limit_));
      }
      max_size_ = size;
      evict_to(max_size_);
      continue;
    }
    // §6.2.1 with incremental indexing (01), §6.2.2 without (0000), §6.2.3 never (0001).
    const bool indexing = (b & 0xc0) == 0x40;
    const int prefix = indexing ? 6 : 4;
    uint64_t index = 0;
    RETURN_IF_ERROR(hpack_decode_int(block, &pos, prefix, &index));
    HeaderField f;
    if (index != 0) {
      std::string_view name, unused;
      RETURN_IF_ERROR(lookup(index, &name, &unused));
      f.name = name;
    } else {
      RETURN_IF_ERROR(read_string(block, &pos, &f.name));
    }
    RETURN_IF_ERROR(read_string(block, &pos, &f.value));
    emit(f.name, f.value);
    if (indexing) insert(std::move(f));
  }
  return OkStatus();
}

void HpackEncoder::encode(const std::vector<HeaderField>& fields, std::string* out) {
  for (const auto& f : fields) {
    size_t name_index = 0;
    size_t full_index = 0;
    for (size_t i = 0; i < kStatic.size(); i++) {
      if (kStatic[i].name != f.name) continue;
      if (name_index == 0) name_index = i + 1;
      if (kStatic[i].value == f.value) {
        full_index = i + 1;
        break;
      }
    }
    if (full_index != 0) {
      hpack_encode_int(full_index, 7, 0x80, out);
      continue;
    }
    hpack_encode_int(name_index, 4, 0x00, out);  // literal without indexing
    if (name_index == 0) encode_string(f.name, out);
    encode_string(f.value, out);
  }
}

}  // namespace opsight::http2
