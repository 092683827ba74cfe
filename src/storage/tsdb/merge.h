#pragma once
// Merging the samples of one series from several sources (blocks, frozen head, active head)
// with "last write wins": on equal timestamps the source with the higher priority wins.
// Thread safety: plain functions; VectorIterator is used by one thread.

#include <memory>
#include <vector>

#include "storage/metric_store.h"
#include "storage/sample.h"

namespace opsight::storage::tsdb {

// Merges `newer` into *base (both ascending, unique t); on equal t the sample of `newer` wins.
// T is Sample or ValuePoint.
template <typename T>
void merge_newer(std::vector<T>* base, const std::vector<T>& newer) {
  if (newer.empty()) return;
  if (base->empty() || base->back().t < newer.front().t) {
    base->insert(base->end(), newer.begin(), newer.end());
    return;
  }
  std::vector<T> out;
  out.reserve(base->size() + newer.size());
  size_t i = 0, j = 0;
  while (i < base->size() && j < newer.size()) {
    if ((*base)[i].t < newer[j].t) {
      out.push_back((*base)[i++]);
    } else {
      if ((*base)[i].t == newer[j].t) i++;
      out.push_back(newer[j++]);
    }
  }
  out.insert(out.end(), base->begin() + static_cast<long>(i), base->end());
  out.insert(out.end(), newer.begin() + static_cast<long>(j), newer.end());
  base->swap(out);
}

// Iterates a shared, immutable vector of value points as Samples.
class ValuePointIterator final : public SeriesIterator {
 public:
  explicit ValuePointIterator(std::shared_ptr<const std::vector<ValuePoint>> points)
      : points_(std::move(points)) {}
  bool next() override;
  bool seek(int64_t target) override;
  const Sample& at() const override { return cur_; }

 private:
  std::shared_ptr<const std::vector<ValuePoint>> points_;
  size_t pos_ = 0;
  bool started_ = false;
  Sample cur_;
};

// Iterates a shared, immutable vector of samples.
class VectorIterator final : public SeriesIterator {
 public:
  explicit VectorIterator(std::shared_ptr<const std::vector<Sample>> samples)
      : samples_(std::move(samples)) {}
  bool next() override;
  bool seek(int64_t target) override;
  const Sample& at() const override { return (*samples_)[pos_]; }

 private:
  std::shared_ptr<const std::vector<Sample>> samples_;
  size_t pos_ = 0;
  bool started_ = false;
};

}  // namespace opsight::storage::tsdb
