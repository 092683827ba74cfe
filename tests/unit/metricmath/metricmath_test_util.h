#pragma once
// Shared by the metricmath tests: the any-time tsdb (testing/any_time_tsdb.h) with
// GetMetricData over it, and a deterministic anomaly band (expected = value,
// lower/upper = value -/+ k) standing in for the anomaly model.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "query/metricmath/get_metric_data.h"
#include "storage/tsdb/db.h"
#include "testing/any_time_tsdb.h"
#include "testing/temp_dir.h"

namespace opsight::query::metricmath::testing {

using TempDir = ::opsight::testing::TempDir;

// The shared any-time Db, plus GetMetricData over it.
class TestStore : public ::opsight::testing::AnyTimeTsdb {
 public:
  Result<GetMetricDataResult> run(const GetMetricDataRequest& req, const MetricMathOptions& o) {
    ASSIGN_OR_RETURN(auto q, db().querier(storage::QueryScope{}, req.start_ms, req.end_ms));
    return get_metric_data(*q, req, o);
  }
};

inline AnomalyBandFn test_band() {
  return [](const TimeSeries& in, double k, int64_t) -> Result<Band> {
    Band b;
    for (double v : in.values) {
      b.lower.push_back(v - k);
      b.upper.push_back(v + k);
      b.expected.push_back(v);
    }
    return b;
  };
}

}  // namespace opsight::query::metricmath::testing
