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
class MemIndex final : public IndexReader {
 public:
  MemIndex() = default;
  MemIndex(const MemIndex&) = delete;
  MemIndex& operator=(const MemIndex&) = delete;

  // The ref of `labels`, creating it if new (*created tells). ResourceExhausted when the 32-bit
  // ref space is used up.
  Result<uint32_t> get_or_create(const Labels& labels, bool* created);
  // The ref of `labels`, or 0 (never a valid ref) when unknown.
  uint32_t find(const Labels& labels) const;
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
    uint64_t hash;
    Labels labels;
  };
  std::unordered_map<uint32_t, std::unique_ptr<Entry>> series_;
  std::unordered_multimap<uint64_t, uint32_t> by_hash_;  // Labels::hash() -> ref (collisions ok)
  PostingsMap postings_;
  Bitmap all_;
  uint32_t next_ref_ = 1;
};

}  // namespace opsight::storage::tsdb
