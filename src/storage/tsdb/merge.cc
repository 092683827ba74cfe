#include "storage/tsdb/merge.h"

#include <algorithm>

namespace opsight::storage::tsdb {

void merge_newer(std::vector<Sample>* base, const std::vector<Sample>& newer) {
  if (newer.empty()) return;
  if (base->empty() || base->back().t < newer.front().t) {
    base->insert(base->end(), newer.begin(), newer.end());
    return;
  }
  std::vector<Sample> out;
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
