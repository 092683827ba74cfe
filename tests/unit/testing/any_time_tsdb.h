#pragma once
// A real tsdb::Db in a temp directory that accepts samples at any time (the clock sits at 0, the
// out-of-order and future windows and the retention span centuries), for tests of the query
// engines over the real store. reset() starts over with an empty database.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "storage/tsdb/db.h"
#include "testing/temp_dir.h"

namespace opsight::testing {

class AnyTimeTsdb {
 public:
  AnyTimeTsdb() : clock_(0) { reset(); }
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
  // Appends and commits for the default tenant; the first sample error fails the call. A
  // non-empty `unit` is stored as the metric's metadata unit.
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

 private:
  TempDir dir_;
  ManualClock clock_;
  int generation_ = 0;
  std::unique_ptr<storage::tsdb::Db> db_;
};

}  // namespace opsight::testing
