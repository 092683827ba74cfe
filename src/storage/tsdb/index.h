#pragma once
// Inverted index of series: label name -> value -> bitmap of series refs (the "postings" of
// Prometheus's TSDB, github.com/prometheus/prometheus tsdb/docs/format/index.md), and the
// evaluation of label matchers over it with Prometheus semantics (tsdb/querier.go
// PostingsForMatchers): intersect the matchers that do not match the empty string, then
// subtract, for each matcher that does, the series whose value it rejects — so a matcher that
// matches "" also matches series that lack the label.
//
// IndexReader is implemented by the head's MemIndex (below) and by an on-disk block's index.
//
// Thread safety: MemIndex is not synchronised (the Db mutex guards it); a block index is
// immutable and safe to read concurrently.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "storage/matcher.h"
#include "storage/tsdb/bitmap.h"

namespace opsight::storage::tsdb {

// name -> value -> refs. Values of one name are kept sorted.
using PostingsMap = std::map<std::string, std::map<std::string, Bitmap, std::less<>>, std::less<>>;

class IndexReader {
 public:
  virtual ~IndexReader() = default;
  virtual const PostingsMap& postings() const = 0;
  // Every series ref of the index.
  virtual const Bitmap& all_series() const = 0;
};

// Refs of the series matching every matcher (all series when `matchers` is empty). The caller
// enforces "at least one matcher must not match the empty string" where that applies.
Bitmap select_postings(const IndexReader& index, std::span<const Matcher> matchers);

// Sorted names having at least one series in `refs`.
std::vector<std::string> label_names_of(const IndexReader& index, const Bitmap& refs);
// Sorted values of `name` having at least one series in `refs`.
std::vector<std::string> label_values_of(const IndexReader& index, std::string_view name,
                                         const Bitmap& refs);

// The head's series registry: labels <-> ref, plus postings. Refs are assigned from a counter
// and never reused, so a ref removed by garbage collection can never alias a new series.
// The key under which MemIndex finds a series: xxHash64 of its non-tenant labels
// (name \xff value \xff ...) followed by account \xfe region. Computed from full labels (tenant
// labels inside) or from borrowed labels plus the tenant, with the same result.
uint64_t series_key_hash(const Labels& full);
uint64_t series_key_hash(std::span<const LabelView> labels, std::string_view account,
                         std::string_view region);

// Open-addressing (linear probing) multimap from a 64-bit hash to (ref, labels): one probe
// sequence over a flat array instead of a node per entry. Several refs may share a hash.
class HashRefTable {
 public:
  // The first ref under `hash` whose labels satisfy match(labels), or 0.
  template <typename Match>
  uint32_t find(uint64_t hash, Match&& match) const {
    if (slots_.empty()) return 0;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.ref == kEmpty) return 0;
      if (s.ref != kTombstone && s.hash == hash && match(*s.labels)) return s.ref;
    }
  }
  // `labels` must stay valid until erase(hash, ref).
  void insert(uint64_t hash, uint32_t ref, const Labels* labels);
  void erase(uint64_t hash, uint32_t ref);

 private:
  static constexpr uint32_t kEmpty = 0;  // refs start at 1
  static constexpr uint32_t kTombstone = UINT32_MAX;
  struct Slot {
    uint64_t hash;
    uint32_t ref;
    const Labels* labels;
  };
  void rehash(size_t capacity);
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;  // live + tombstones
  size_t live_ = 0;
};

class MemIndex final : public IndexReader {
 public:
  MemIndex() = default;
  MemIndex(const MemIndex&) = delete;
  MemIndex& operator=(const MemIndex&) = delete;

  // The ref of `labels` (tenant labels included), creating it if new (*created tells).
  // ResourceExhausted when the 32-bit ref space is used up.
  Result<uint32_t> get_or_create(const Labels& labels, bool* created);
  // The ref of `labels` (tenant labels included), or 0 (never a valid ref) when unknown.
  uint32_t find(const Labels& labels) const;
  // The ref of the series with borrowed `labels` (sorted, no tenant labels) of the tenant, whose
  // series_key_hash is `hash`; 0 when unknown.
  uint32_t find(uint64_t hash, std::span<const LabelView> labels, std::string_view account,
                std::string_view region) const;
  // The labels of a ref, or nullptr. The pointee stays valid until remove(ref).
  const Labels* labels(uint32_t ref) const;
  void remove(uint32_t ref);
  size_t size() const { return series_.size(); }
  // Calls fn(ref) for every series.
  void for_each(const std::function<void(uint32_t)>& fn) const;

  const PostingsMap& postings() const override { return postings_; }
  const Bitmap& all_series() const override { return all_; }

 private:
  struct Entry {
    uint64_t hash;  // series_key_hash
    Labels labels;
  };
  std::unordered_map<uint32_t, std::unique_ptr<Entry>> series_;
  HashRefTable by_hash_;
  PostingsMap postings_;
  Bitmap all_;
  uint32_t next_ref_ = 1;
};

}  // namespace opsight::storage::tsdb
