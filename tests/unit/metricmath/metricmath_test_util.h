#pragma once
// Shared by the metricmath tests: a real tsdb::Db in a temp directory that accepts samples at
// any time (the clock sits at 0), and a deterministic anomaly band (expected = value,
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
#include "testing/temp_dir.h"

namespace opsight::query::metricmath::testing {

using TempDir = ::opsight::testing::TempDir;

class TestStore {
 public:
  TestStore() : clock_(0) { reset(); }
  void reset() {
    db_.reset();
    storage::tsdb::Options o;
    o.dir = dir_.path() + "/metrics" + std::to_string(generation_++);
    o.clock = &clock_;
    o.background = false;
    o.wal_sync = storage::wal::SyncPolicy::kInterval;
    o.out_of_order_window_ms = 10'000'000'000'000;
    o.future_window_ms = 10'000'000'000'000;
    o.retention_ms = 20'000'000'000'000;
    auto db = storage::tsdb::Db::open(o);
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    if (db.ok()) db_ = std::move(*db);
  }
  storage::tsdb::Db& db() { return *db_; }
  Status append(const Labels& l, const std::vector<storage::Sample>& samples,
                std::string_view unit = "") {
    auto app = db_->appender(storage::Tenant{});
    std::vector<storage::SampleError> errors;
    RETURN_IF_ERROR(app->append(l, samples, &errors));
    if (!errors.empty()) return errors[0].status;
    if (!unit.empty()) {
      RETURN_IF_ERROR(app->append_metadata(l.metric_name(), {"gauge", "", std::string(unit)}));
    }
    return app->commit();
  }
  Result<GetMetricDataResult> run(const GetMetricDataRequest& req, const MetricMathOptions& o) {
    ASSIGN_OR_RETURN(auto q, db_->querier(storage::QueryScope{}, req.start_ms, req.end_ms));
    return get_metric_data(*q, req, o);
  }

 private:
  TempDir dir_;
  ManualClock clock_;
  int generation_ = 0;
  std::unique_ptr<storage::tsdb::Db> db_;
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
