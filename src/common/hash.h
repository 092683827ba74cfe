#pragma once
// xxHash64 (Yann Collet's XXH64 algorithm, written from its public specification,
// xxhash.com doc/xxhash_spec.md). Streaming and one-shot forms.

#include <cstdint>
#include <string_view>

namespace opsight {

class XxHash64 {
 public:
  explicit XxHash64(uint64_t seed = 0);
  void update(std::string_view data);
  uint64_t digest() const;

 private:
  uint64_t v_[4];
  uint64_t seed_;
  uint64_t total_ = 0;
  unsigned char buf_[32];
  size_t buf_len_ = 0;
};

uint64_t xxhash64(std::string_view data, uint64_t seed = 0);

}  // namespace opsight
