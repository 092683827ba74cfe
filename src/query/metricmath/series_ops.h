#pragma once
// Point-wise and aggregate operations on time series, the building blocks of the Metric Math
// functions. Pure functions; thread-safe. Every result keeps the TimeSeries invariants
// (ascending timestamps, finite values): a point whose result is NaN or infinite (0/0, 1/0,
// LOG(-1)) is dropped, as CloudWatch returns no datapoint for it.

#include <cstdint>
#include <span>
#include <vector>

#include "query/metricmath/ast.h"
#include "query/metricmath/time_series.h"

namespace opsight::query::metricmath {

// a op b on numbers; comparisons and AND/OR give 1 or 0 (non-zero is true).
double apply_op(BinaryOp op, double a, double b);

// a op b at each timestamp present in both series (an inner join on timestamps, the way
// CloudWatch aligns two time series). Labels and period are taken from `a`.
TimeSeries combine(const TimeSeries& a, const TimeSeries& b, BinaryOp op);
// series op scalar (scalar_left: scalar op series).
TimeSeries combine_scalar(const TimeSeries& a, double s, BinaryOp op, bool scalar_left);
// f(v) for every point.
TimeSeries map_values(const TimeSeries& a, double (*f)(double));

enum class Reducer { kSum, kAvg, kMin, kMax, kStddev };

// Across an array, per timestamp (the union of all timestamps), over the series that have a
// point there: SUM(METRICS()), AVG([m1, m2]), ... STDDEV is the population standard deviation.
// Period and labels of the first series; an empty array gives an empty series.
TimeSeries reduce_array(std::span<const TimeSeries> array, Reducer r);
// Over all points of one series (AVG(m1) is a scalar); NaN for an empty series.
double reduce_series(const TimeSeries& s, Reducer r);

// Timestamps of the periods of [start_ms, end_ms): multiples of period_ms from the one that
// contains start_ms (the bucketing of query/stats) up to, excluding, end_ms.
std::vector<int64_t> period_grid(int64_t start_ms, int64_t end_ms, int64_t period_ms);

// FILL over `grid` (ascending; points of `s` not on the grid are kept as they are):
// with a value; REPEAT with the last earlier value (leading gaps take the first value);
// LINEAR interpolating between the values around a gap (leading and trailing gaps take the
// nearest value). REPEAT and LINEAR leave an empty series empty.
TimeSeries fill_value(const TimeSeries& s, std::span<const int64_t> grid, double v);
TimeSeries fill_repeat(const TimeSeries& s, std::span<const int64_t> grid);
TimeSeries fill_linear(const TimeSeries& s, std::span<const int64_t> grid);

// Per point from the second on: RATE = (v[i] - v[i-1]) / seconds between them; DIFF =
// v[i] - v[i-1]; DIFF_TIME = seconds between them.
TimeSeries rate(const TimeSeries& s);
TimeSeries diff(const TimeSeries& s);
TimeSeries diff_time(const TimeSeries& s);
TimeSeries running_sum(const TimeSeries& s);

// Keeps the shape of `s` (label, labels, stat, period) with no points.
TimeSeries empty_like(const TimeSeries& s);

}  // namespace opsight::query::metricmath
