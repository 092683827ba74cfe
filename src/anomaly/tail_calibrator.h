#pragma once
// TailCalibrator: turns a raw, non-negative surprise (any scale, any distribution) into the
// probability of seeing one at least that large, from the surprise's own recent history.
//
// Peaks over threshold (Pickands 1975; as a streaming detector: Siffer et al., "Anomaly Detection
// in Streams with Extreme Value Theory", KDD 2017): above the q-quantile u of the history the
// tail is taken as exponential (the GPD with shape 0), with the scale from the median excess:
//   p(x) = (1 - q) * exp(-(x - u) / beta)   for x > u,   beta = median(x_i - u | x_i > u) / ln 2
// and p is the empirical exceedance below u. Calibrating each detector feature this way makes
// features of different units comparable, and one threshold work across series.
//
// Memory: `capacity` doubles. Thread safety: none.

#include <cstddef>
#include <vector>

namespace opsight::anomaly {

class TailCalibrator {
 public:
  // capacity: values remembered (a ring); refresh: values between re-estimates of u and beta;
  // min_count: values needed before p() says anything (before that p() == 1).
  TailCalibrator(size_t capacity, size_t refresh, size_t min_count, double q = 0.95);

  // -log10 of the exceedance probability of x against the history (0 while warming up).
  // Does not learn x.
  double surprise(double x) const;
  // Learns x.
  void add(double x);
  size_t count() const { return count_; }

 private:
  void refit();

  size_t capacity_, refresh_, min_count_;
  double q_;
  std::vector<double> ring_;
  size_t next_ = 0;
  size_t count_ = 0;
  size_t since_fit_ = 0;
  bool fitted_ = false;
  double u_ = 0;
  double beta_ = 0;
  std::vector<double> sorted_;  // the history at the last refit, ascending
};

}  // namespace opsight::anomaly
