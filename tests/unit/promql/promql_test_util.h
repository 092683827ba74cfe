#pragma once
// Helpers shared by the PromQL tests: a real tsdb::Db in a temp directory on a ManualClock
// that accepts any sample time, and a runner for promqltest-style scripts (the format of
// Prometheus's promql/promqltest/testdata/*.test):
//
//   load 5m                                  # samples every 5m from t=0
//     http_requests{job="api"} 0+10x10       # 0 10 20 ... 100; also a-bxn, axn, _ (gap),
//     other 1 _x3 stale 2                    # _xn (n gaps), stale (staleness marker)
//   clear                                    # drop all data
//   eval instant at 50m sum(http_requests)   # eval_ordered: the order must match too
//     {} 100                                 # expected series and values; a bare number for
//                                            # a scalar result
//   eval range from 0 to 10m step 5m expr    # expected series with one value per step
//     {} 1 _ 3                               # (_ = no point at that step)
//   eval_fail instant at 0m expr             # the query must fail (parse or evaluation);
//     expected_fail_message substring         # optionally with this in the message
//
// Values compare with a relative tolerance of 1e-6 (as promqltest); NaN equals NaN.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "query/promql/engine.h"
#include "storage/tsdb/db.h"
#include "testing/any_time_tsdb.h"
#include "testing/temp_dir.h"

namespace opsight::query::promql::testing {

using TempDir = ::opsight::testing::TempDir;

// A Db that takes samples at any time.
using TestStore = ::opsight::testing::AnyTimeTsdb;

// Runs a script; every failed expectation is reported through GoogleTest with its line.
void run_script(const std::string& name, const std::string& text,
                const EngineOptions& options = {});

}  // namespace opsight::query::promql::testing
