#include "anomaly/tail_calibrator.h"

#include <algorithm>
#include <cmath>

#include "anomaly/robust.h"

namespace opsight::anomaly {

TailCalibrator::TailCalibrator(size_t capacity, size_t refresh, size_t min_count, double q)
    : capacity_(std::max<size_t>(capacity, 16)),
      refresh_(std::max<size_t>(refresh, 1)),
      min_count_(std::max<size_t>(min_count, 16)),
      q_(q) {
  ring_.reserve(capacity_);
}

void TailCalibrator::add(double x) {
  if (!std::isfinite(x)) return;
  if (ring_.size() < capacity_) {
    ring_.push_back(x);
  } else {
    ring_[next_] = x;
    next_ = (next_ + 1) % capacity_;
  }
  count_++;
  // Refits cost O(n log n): at most ~32 per history length.
  if (count_ >= min_count_ && (++since_fit_ >= std::max(refresh_, ring_.size() / 32) || !fitted_)) {
    refit();
  }
}

void TailCalibrator::refit() {
  since_fit_ = 0;
  sorted_ = ring_;
  std::sort(sorted_.begin(), sorted_.end());
  const size_t n = sorted_.size();
  size_t k = std::min(n - 1, static_cast<size_t>(std::floor(q_ * static_cast<double>(n - 1))));
  u_ = sorted_[k];
  std::vector<double> excess;
  for (size_t i = k + 1; i < n; i++) {
    if (sorted_[i] > u_) excess.push_back(sorted_[i] - u_);
  }
  double med = median_inplace(excess);
  // With no excess at all (a constant feature) any rise is a surprise: a tiny scale, relative to
  // the values themselves so units do not matter.
  double floor = 1e-6 * (std::fabs(u_) + 1e-12);
  beta_ = std::max(med / std::log(2.0), floor);
  fitted_ = true;
}

double TailCalibrator::surprise(double x) const {
  if (!fitted_ || !std::isfinite(x)) return 0;
  // Empirical exceedance: the share of the history at or above x ...
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), x);
  const double above = static_cast<double>(sorted_.end() - it);
  const double n = static_cast<double>(sorted_.size());
  if (x <= u_) return -std::log10(std::min(1.0, (above + 1) / (n + 1)));
  // ... above u the exponential tail, but never rarer than the history shows: a value seen
  // several times before is not a surprise however thin the fitted tail.
  double log10_p = std::log10(1 - q_) - (x - u_) / beta_ / std::log(10.0);
  if (above > 0) log10_p = std::max(log10_p, std::log10(above / (n + 1)));
  return -log10_p;
}

}  // namespace opsight::anomaly
