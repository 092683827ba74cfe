#pragma once
// Robust statistics shared by the anomaly models: medians, MAD scale, quantiles, Theil-Sen
// slopes. Pure functions over spans; none keeps state. Non-finite inputs are the caller's job
// (the models drop NaN/inf before calling these).

#include <cstddef>
#include <span>
#include <vector>

namespace opsight::anomaly {

// 1.4826 * MAD is a consistent estimator of the standard deviation for Gaussian data.
inline constexpr double kMadToSigma = 1.4826;

// Median of v; reorders v. Empty -> 0.
double median_inplace(std::vector<double>& v);
// Median of a copy of values. Empty -> 0.
double median_of(std::span<const double> values);
// q-quantile (0..1, nearest rank on a sorted copy). Empty -> 0.
double quantile_of(std::span<const double> values, double q);
// kMadToSigma * median(|v - center|). Empty -> 0.
double mad_sigma(std::span<const double> values, double center);

// Theil-Sen slope (Sen 1968): the median of pairwise slopes (y_j - y_i) / (x_j - x_i) over pairs
// with x_j != x_i. O(n^2): callers pass block medians (tens of points), not raw series.
double theil_sen_slope(std::span<const double> x, std::span<const double> y);

// Huber clipping: v limited to [-c, c].
inline double clip(double v, double c) {
  return v > c ? c : (v < -c ? -c : v);
}

}  // namespace opsight::anomaly
