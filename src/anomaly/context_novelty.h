#pragma once
// ContextNovelty: whether the recent values of a series form a context never seen before in its
// whole history; the novelty signal of StreamingDetector (streaming_detector.h).
//
// Design (the idea of M. Smirnov's Contextual Anomaly Detector, "CAD OSE", an entry of the NAB
// scoreboard (Lavin & Ahmad, ICMLA 2015), which counts never-seen contexts of quantised values;
// written here from that description, not from its code):
// - Quantiser: fixed once, from the first `fit_points` values: z = (v - median) / scale, with
//   scale = 1.4826 * MAD (mean absolute deviation, then 1% of |median|, when that is 0), and the
//   bucket floor(asinh(z) * resolution): about resolution buckets per scale unit near the
//   median, logarithmically wider far from it, so a new value range still gets new buckets
//   without an unbounded alphabet. Fixed so that what was learnt stays comparable.
// - Contexts: the last L buckets, L = 1..max_length, hashed (FNV-1a over bucket and length).
//   observe() returns the share of the max_length contexts ending at the value that were never
//   seen before, then learns them. A value range never seen is novel at every length; a known
//   value in an unusual order is novel only at the longer lengths; a pattern that recurs (a
//   daily burst, a spike train) is novel the first time only.
// - Memory: a set of 64-bit hashes, open addressing, growing to at most `capacity` entries
//   (8 bytes each at load <= 1/2, so <= 16 * capacity bytes); when it is full, new contexts are
//   still reported but no longer learnt. A hash collision (p ~ n^2 / 2^64) can only hide a
//   novelty.
//
// Thread safety: none; one per series.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace opsight::anomaly {

class ContextNovelty {
 public:
  ContextNovelty(size_t max_length, double resolution, size_t fit_points, size_t capacity);

  // The share in [0, 1] of the contexts ending at `value` never seen before, then learns them;
  // -1 while the quantiser is being fitted (the first fit_points - 1 values). value must be
  // finite.
  double observe(double value);

  size_t contexts() const { return size_; }
  size_t memory_bytes() const;

 private:
  // True when h was new (and is now learnt, room permitting).
  bool insert(uint64_t h);

  size_t max_length_;
  double resolution_;
  size_t fit_points_;
  size_t capacity_;
  std::vector<double> fit_;  // the first values, until the quantiser is fitted
  bool fitted_ = false;
  double center_ = 0;
  double scale_ = 1;
  std::deque<int64_t> recent_;   // the last max_length buckets, oldest first
  std::vector<uint64_t> table_;  // 0 = empty slot; size a power of two
  size_t size_ = 0;
};

}  // namespace opsight::anomaly
