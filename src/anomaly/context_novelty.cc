#include "anomaly/context_novelty.h"

#include <algorithm>
#include <cmath>

#include "anomaly/robust.h"

namespace opsight::anomaly {

namespace {
constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
}  // namespace

ContextNovelty::ContextNovelty(size_t max_length, double resolution, size_t fit_points,
                               size_t capacity)
    : max_length_(std::max<size_t>(max_length, 1)),
      resolution_(resolution > 0 ? resolution : 1),
      fit_points_(std::max<size_t>(fit_points, 2)),
      capacity_(std::max<size_t>(capacity, 16)) {}

bool ContextNovelty::insert(uint64_t h) {
  if (h == 0) h = 1;  // 0 marks an empty slot
  if (table_.empty()) table_.assign(1024, 0);
  size_t mask = table_.size() - 1;
  size_t i = static_cast<size_t>(h ^ (h >> 29)) & mask;
  while (table_[i] != 0) {
    if (table_[i] == h) return false;
    i = (i + 1) & mask;
  }
  if (size_ >= capacity_) return true;  // full: novel, not learnt
  table_[i] = h;
  size_++;
  if (2 * size_ > table_.size()) {
    // Grow to keep the load at or below 1/2.
    std::vector<uint64_t> old;
    old.swap(table_);
    table_.assign(2 * old.size(), 0);
    mask = table_.size() - 1;
    for (uint64_t x : old) {
      if (x == 0) continue;
      size_t j = static_cast<size_t>(x ^ (x >> 29)) & mask;
      while (table_[j] != 0) j = (j + 1) & mask;
      table_[j] = x;
    }
  }
  return true;
}

double ContextNovelty::observe(double value) {
  if (!fitted_) {
    fit_.push_back(value);
    if (fit_.size() < fit_points_) return -1;
    center_ = median_of(fit_);
    double scale = mad_sigma(fit_, center_);
    if (scale <= 0) {
      double sum = 0;
      for (double v : fit_) sum += std::fabs(v - center_);
      scale = sum / static_cast<double>(fit_.size());
    }
    if (scale <= 0) scale = std::max(1e-9, 0.01 * std::fabs(center_));
    scale_ = scale;
    fitted_ = true;
    fit_ = {};
  }
  const double b = std::floor(std::asinh((value - center_) / scale_) * resolution_);
  // asinh keeps |b| below ~ resolution * 745 for any finite double: no overflow.
  recent_.push_back(static_cast<int64_t>(b));
  if (recent_.size() > max_length_) recent_.pop_front();
  size_t novel = 0;
  uint64_t h = kFnvOffset;
  for (size_t len = 1; len <= recent_.size(); len++) {
    h = (h ^ static_cast<uint64_t>(recent_[recent_.size() - len])) * kFnvPrime;
    h = (h ^ len) * kFnvPrime;
    if (insert(h)) novel++;
  }
  // Before max_length values the missing lengths count as not novel.
  return static_cast<double>(novel) / static_cast<double>(max_length_);
}

size_t ContextNovelty::memory_bytes() const {
  return sizeof(*this) + table_.capacity() * sizeof(uint64_t) + fit_.capacity() * sizeof(double) +
         recent_.size() * sizeof(int64_t);
}

}  // namespace opsight::anomaly
