#pragma once
// PageCache: a byte-bounded LRU cache of decompressed block pages, shared by all blocks of a
// Db. Keys are (owner, page) where owner is a process-unique number of a block reader.
// Thread-safe (one mutex; held only for map operations, never during I/O).

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace opsight::storage::tsdb {

class PageCache {
 public:
  explicit PageCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}
  PageCache(const PageCache&) = delete;
  PageCache& operator=(const PageCache&) = delete;

  // nullptr when absent.
  std::shared_ptr<const std::string> get(uint64_t owner, uint32_t page);
  void put(uint64_t owner, uint32_t page, std::shared_ptr<const std::string> data);
  // Drops every page of `owner` (a block that is closed).
  void erase_owner(uint64_t owner);
  uint64_t bytes() const;

  // A new process-unique owner number.
  static uint64_t new_owner();

 private:
  struct Key {
    uint64_t owner;
    uint32_t page;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return (k.owner * 0x9E3779B97F4A7C15ull) ^ k.page; }
  };
  struct Entry {
    Key key;
    std::shared_ptr<const std::string> data;
  };
  void evict_locked();

  const uint64_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recently used; GUARDED_BY(mu_)
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map_;  // GUARDED_BY(mu_)
  uint64_t bytes_ = 0;                                                // GUARDED_BY(mu_)
};

}  // namespace opsight::storage::tsdb
