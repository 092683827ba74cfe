#include "query/patterns/token_interner.h"

namespace opsight::query::patterns {

namespace {
constexpr size_t kInitialSlots = 1024;
}

TokenInterner::TokenInterner() : slots_(kInitialSlots), texts_(1), mask_(kInitialSlots - 1) {}

uint32_t TokenInterner::intern(std::string_view text) {
  const uint64_t h = token_hash(text);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.id == 0) {
      s.hash = h;
      s.id = static_cast<uint32_t>(texts_.size());
      texts_.push_back(text);
      if (texts_.size() * 2 > slots_.size()) {
        uint32_t id = s.id;
        grow();
        return id;
      }
      return s.id;
    }
    if (s.hash == h && texts_[s.id] == text) return s.id;
  }
}

void TokenInterner::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id == 0) continue;
    uint64_t i = s.hash & mask_;
    while (slots_[i].id != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace opsight::query::patterns
