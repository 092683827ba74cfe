#include "storage/tsdb/merge.h"

#include <algorithm>

namespace opsight::storage::tsdb {

bool ValuePointIterator::next() {
  if (!started_) {
    started_ = true;
    pos_ = 0;
  } else if (pos_ < points_->size()) {
    pos_++;
  }
  if (pos_ >= points_->size()) return false;
  const ValuePoint& p = (*points_)[pos_];
  cur_ = Sample::value(p.t, p.v);
  return true;
}

bool ValuePointIterator::seek(int64_t target) {
  size_t from = started_ ? pos_ : 0;
  started_ = true;
  from = std::min(from, points_->size());
  auto it = std::lower_bound(points_->begin() + static_cast<long>(from), points_->end(), target,
                             [](const ValuePoint& p, int64_t t) { return p.t < t; });
  pos_ = static_cast<size_t>(it - points_->begin());
  if (pos_ >= points_->size()) return false;
  cur_ = Sample::value(it->t, it->v);
  return true;
}

bool VectorIterator::next() {
  if (!started_) {
    started_ = true;
    pos_ = 0;
  } else if (pos_ < samples_->size()) {
    pos_++;
  }
  return pos_ < samples_->size();
}

bool VectorIterator::seek(int64_t target) {
  size_t from = started_ ? pos_ : 0;
  started_ = true;
  if (from < samples_->size() && (*samples_)[from].t >= target) {
    pos_ = from;
    return true;
  }
  auto it =
      std::lower_bound(samples_->begin() + static_cast<long>(std::min(from, samples_->size())),
                       samples_->end(), target, [](const Sample& s, int64_t t) { return s.t < t; });
  pos_ = static_cast<size_t>(it - samples_->begin());
  return pos_ < samples_->size();
}

}  // namespace opsight::storage::tsdb
