#include "anomaly/robust.h"

#include <algorithm>
#include <cmath>

namespace opsight::anomaly {

double median_inplace(std::vector<double>& v) {
  if (v.empty()) return 0;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + mid);
  return 0.5 * (lo + hi);
}

double median_of(std::span<const double> values) {
  std::vector<double> v(values.begin(), values.end());
  return median_inplace(v);
}

double quantile_of(std::span<const double> values, double q) {
  if (values.empty()) return 0;
  std::vector<double> v(values.begin(), values.end());
  q = std::clamp(q, 0.0, 1.0);
  size_t k = static_cast<size_t>(std::floor(q * static_cast<double>(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

double mad_sigma(std::span<const double> values, double center) {
  std::vector<double> d;
  d.reserve(values.size());
  for (double x : values) d.push_back(std::fabs(x - center));
  return kMadToSigma * median_inplace(d);
}

double theil_sen_slope(std::span<const double> x, std::span<const double> y) {
  std::vector<double> slopes;
  size_t n = std::min(x.size(), y.size());
  slopes.reserve(n * (n - 1) / 2 + 1);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = i + 1; j < n; j++) {
      if (x[j] != x[i]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
    }
  }
  return median_inplace(slopes);
}

}  // namespace opsight::anomaly
