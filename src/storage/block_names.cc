#include "storage/block_names.h"

namespace opsight::storage {

std::string block_name(uint64_t id, std::string_view suffix) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; i--, id >>= 4) s[i] = kHex[id & 15];
  s.append(suffix);
  return s;
}

bool parse_block_name(std::string_view name, std::string_view suffix, uint64_t* id) {
  if (name.size() != 16 + suffix.size() || !name.ends_with(suffix)) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 16; i++) {
    const char c = name[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *id = v;
  return true;
}

}  // namespace opsight::storage
