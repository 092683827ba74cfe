#include "storage/tsdb/page_cache.h"

#include <atomic>

namespace opsight::storage::tsdb {

uint64_t PageCache::new_owner() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

std::shared_ptr<const std::string> PageCache::get(uint64_t owner, uint32_t page) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(Key{owner, page});
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->data;
}

void PageCache::put(uint64_t owner, uint32_t page, std::shared_ptr<const std::string> data) {
  if (data->size() > capacity_) return;
  std::lock_guard<std::mutex> lock(mu_);
  Key key{owner, page};
  auto it = map_.find(key);
  if (it != map_.end()) {
    bytes_ -= it->second->data->size();
    lru_.erase(it->second);
    map_.erase(it);
  }
  bytes_ += data->size();
  lru_.push_front(Entry{key, std::move(data)});
  map_.emplace(key, lru_.begin());
  evict_locked();
}

void PageCache::erase_owner(uint64_t owner) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->key.owner == owner) {
      bytes_ -= it->data->size();
      map_.erase(it->key);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

uint64_t PageCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

void PageCache::evict_locked() {
  while (bytes_ > capacity_ && !lru_.empty()) {
    bytes_ -= lru_.back().data->size();
    map_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

}  // namespace opsight::storage::tsdb
