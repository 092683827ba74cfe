#include "anomaly/streaming_detector.h"

#include <algorithm>
#include <cmath>

#include "anomaly/robust.h"

namespace opsight::anomaly {

struct StreamingDetector::Feature {
  std::string_view name;
  size_t scale;
  TailCalibrator calibrator;
};

StreamingDetector::StreamingDetector(DetectorOptions options) : options_(std::move(options)) {
  auto add = [&](std::string_view name, size_t w) {
    features_.push_back(
        Feature{name, w,
                TailCalibrator(options_.calibration_points, options_.calibration_refresh,
                               options_.calibration_min, options_.tail_quantile)});
  };
  for (size_t w : options_.scales) add("change", w);
  if (options_.seasonal) {
    for (size_t w : options_.scales) add("seasonal", w);
  }
  if (options_.novelty_length > 0) add("novelty", options_.novelty_length);
  if (options_.spread) {
    for (size_t w : options_.scales) {
      if (w >= 4) add("spread", w);
    }
  }
  if (options_.context_weight > 0 && options_.context_length > 0) {
    context_ =
        std::make_unique<ContextNovelty>(options_.context_length, options_.context_resolution,
                                         options_.warmup_points, options_.context_capacity);
  }
}

StreamingDetector::~StreamingDetector() = default;
StreamingDetector::StreamingDetector(StreamingDetector&&) noexcept = default;
StreamingDetector& StreamingDetector::operator=(StreamingDetector&&) noexcept = default;

// |mean(last w) - median(the reference before them)|; -1 when there is not enough history.
double StreamingDetector::change_feature(size_t w) const {
  const size_t ref = std::max(options_.min_reference, options_.reference_factor * w);
  const size_t n = values_.size();
  if (n < w + ref) return -1;
  double sum = 0;
  for (size_t i = n - w; i < n; i++) sum += values_[i];
  std::vector<double> r(values_.end() - static_cast<std::ptrdiff_t>(w + ref),
                        values_.end() - static_cast<std::ptrdiff_t>(w));
  return std::fabs(sum / static_cast<double>(w) - median_inplace(r));
}

// median(|diff| over the last w) - median(|diff| over the reference before), clipped at 0.
double StreamingDetector::spread_feature(size_t w) const {
  const size_t ref = std::max(options_.min_reference, options_.reference_factor * w);
  const size_t n = diffs_.size();
  if (n < w + ref) return -1;
  std::vector<double> a(diffs_.end() - static_cast<std::ptrdiff_t>(w), diffs_.end());
  std::vector<double> r(diffs_.end() - static_cast<std::ptrdiff_t>(w + ref),
                        diffs_.end() - static_cast<std::ptrdiff_t>(w));
  return std::max(0.0, median_inplace(a) - median_inplace(r));
}

// RMS distance of the last m values to the nearest earlier subsequence of m values (not
// overlapping them) within novelty_history; early abandoning keeps the scan cheap.
double StreamingDetector::novelty_feature() const {
  const size_t m = options_.novelty_length;
  const size_t n = values_.size();
  if (n < 2 * m + 16) return -1;
  const double* q = values_.data() + n - m;
  const size_t first = n > options_.novelty_history + m ? n - options_.novelty_history - m : 0;
  double best = INFINITY;
  // Candidates start at s in [first, n - 2m]: they end before the query begins.
  for (size_t s = n - 2 * m + 1; s-- > first;) {
    const double* c = values_.data() + s;
    double d = 0;
    for (size_t j = 0; j < m && d < best; j++) {
      double e = q[j] - c[j];
      d += e * e;
    }
    if (d < best) best = d;
  }
  return std::sqrt(best / static_cast<double>(m));
}

void StreamingDetector::maybe_retrain(int64_t t_ms) {
  if (model_ts_.size() < options_.warmup_points) return;
  if (last_train_ms_ != INT64_MIN && t_ms - last_train_ms_ < options_.retrain_ms) return;
  if (model_ts_.back() - model_ts_.front() < kDayMs * 7 / 4) return;
  ModelOptions mo;
  mo.history_ms = options_.model_history_ms;
  auto model = std::make_unique<SeasonalModel>(mo);
  last_train_ms_ = t_ms;
  if (!model->train(model_ts_, model_vs_).ok()) return;
  model_seasonal_ = model->has_daily() || model->has_weekly();
  model_ = std::move(model);
}

double StreamingDetector::score(int64_t t_ms, double value) {
  last_ = DetectorVerdict{};
  if (!std::isfinite(value)) return 0;
  // The seasonal residual of this point, against the model trained on the points before it.
  double resid = 0;
  if (options_.seasonal) {
    maybe_retrain(t_ms);
    if (model_ && model_seasonal_) {
      last_.has_model = true;
      last_.model = model_->explain(t_ms, value, 3.0);
      resid = value - last_.model.expected;
      (void)model_->update(t_ms, value);
    }
    model_ts_.push_back(t_ms);
    model_vs_.push_back(value);
    if (model_ts_.size() > 2 * options_.model_max_points ||
        (model_ts_.size() > 64 && model_ts_.front() < t_ms - 2 * options_.model_history_ms)) {
      size_t drop = 0;
      while (drop < model_ts_.size() && (model_ts_.size() - drop > options_.model_max_points ||
                                         model_ts_[drop] < t_ms - options_.model_history_ms)) {
        drop++;
      }
      model_ts_.erase(model_ts_.begin(), model_ts_.begin() + static_cast<std::ptrdiff_t>(drop));
      model_vs_.erase(model_vs_.begin(), model_vs_.begin() + static_cast<std::ptrdiff_t>(drop));
    }
  }
  diffs_.push_back(values_.empty() ? 0 : std::fabs(value - values_.back()));
  values_.push_back(value);
  resid_.push_back(last_.has_model ? resid : NAN);
  const size_t max_scale = *std::max_element(options_.scales.begin(), options_.scales.end());
  const size_t keep = std::max(
      max_scale + std::max(options_.min_reference, options_.reference_factor * max_scale) + 1,
      options_.novelty_history + 2 * options_.novelty_length);
  if (values_.size() > 4 * keep) {
    auto cut = static_cast<std::ptrdiff_t>(values_.size() - keep);
    values_.erase(values_.begin(), values_.begin() + cut);
    diffs_.erase(diffs_.begin(), diffs_.begin() + cut);
    resid_.erase(resid_.begin(), resid_.begin() + cut);
  }
  points_++;

  // Novelty of the context ending at this value, against the whole history before it.
  last_.context = context_ ? context_->observe(value) : -1;
  double best = 0;
  size_t active = 0;
  for (Feature& f : features_) {
    double x = -1;
    if (f.name == "change") {
      x = change_feature(f.scale);
    } else if (f.name == "novelty") {
      x = novelty_feature();
    } else if (f.name == "spread") {
      x = spread_feature(f.scale);
    } else if (last_.has_model && resid_.size() >= f.scale) {
      // Mean seasonal residual over the last w points (all from the model).
      double sum = 0;
      bool ok = true;
      for (size_t i = resid_.size() - f.scale; i < resid_.size() && ok; i++) {
        ok = std::isfinite(resid_[i]);
        sum += resid_[i];
      }
      if (ok) x = std::fabs(sum / static_cast<double>(f.scale));
    }
    if (x < 0) continue;
    const double n = static_cast<double>(f.calibrator.count());
    double s = f.calibrator.surprise(x) * n / (n + options_.calibration_prior);
    if (f.calibrator.count() >= options_.calibration_min) {
      active++;
      if (s > best) {
        best = s;
        last_.feature = f.name;
        last_.scale = f.scale;
      }
    }
    f.calibrator.add(x);
  }
  if (points_ <= options_.warmup_points || active == 0) {
    last_.feature = {};
    last_.scale = 0;
    return 0;
  }
  double surprise = std::max(0.0, best - std::log10(static_cast<double>(active)));
  // Evidence that the behaviour is new: up to context_weight decades more.
  if (last_.context > 0) surprise += options_.context_weight * last_.context;
  if (since_alarm_ < options_.suppress_points &&
      (options_.escalation <= 0 || surprise < options_.escalation * alarm_level_)) {
    since_alarm_++;
    last_.suppressed = true;
    surprise *= options_.suppress_factor;
  } else if (surprise >= options_.alarm_surprise) {
    // A new alarm, or one clearly larger than the alarm it follows.
    since_alarm_ = 0;
    alarm_level_ = surprise;
  }
  last_.surprise = surprise;
  last_.score = 1 - std::exp(-surprise / options_.score_scale);
  return last_.score;
}

size_t StreamingDetector::memory_bytes() const {
  size_t bytes =
      sizeof(*this) +
      (values_.capacity() + diffs_.capacity() + resid_.capacity() + model_vs_.capacity()) *
          sizeof(double) +
      model_ts_.capacity() * sizeof(int64_t);
  bytes += features_.size() * (sizeof(Feature) + 2 * options_.calibration_points * sizeof(double));
  if (model_) bytes += model_->memory_bytes();
  if (context_) bytes += context_->memory_bytes();
  return bytes;
}

}  // namespace opsight::anomaly
