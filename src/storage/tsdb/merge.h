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
void merge_newer(std::vector<Sample>* base, const std::vector<Sample>& newer);

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
