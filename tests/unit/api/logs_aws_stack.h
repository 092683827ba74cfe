#pragma once
// The dependencies of the CloudWatch Logs front end (api/aws/logs) over the real log store, tsdb
// and meta store in a temp dir, shared by the logs API tests.

#include <gtest/gtest.h>

#include <memory>

#include "api/aws/logs/logs_aws_api.h"
#include "api/aws/logs/metric_filter_engine.h"
#include "common/clock.h"
#include "storage/logstore/store.h"
#include "storage/meta/meta_store.h"
#include "storage/tsdb/db.h"
#include "testing/temp_dir.h"

namespace opsight::api::aws {

struct LogsAwsStack {
  std::unique_ptr<storage::logstore::Store> logs;
  std::unique_ptr<storage::tsdb::Db> metrics;
  std::unique_ptr<storage::meta::MetaStore> meta;
  std::unique_ptr<query::insights::LogQueryService> queries;
  std::unique_ptr<resources::TagStore> tags;
  std::unique_ptr<resources::MetricFilterStore> filters;
  std::unique_ptr<MetricFilterEngine> engine;
  std::unique_ptr<resources::QueryDefinitionStore> definitions;
  LogsAwsDeps deps;

  // Opens everything under `dir` (no background work, interval WAL sync); call with
  // ASSERT_NO_FATAL_FAILURE.
  void open(opsight::testing::TempDir& dir, Clock* clock) {
    storage::logstore::Options lo;
    lo.dir = dir.file("logs");
    lo.clock = clock;
    lo.background = false;
    lo.wal_sync = storage::wal::SyncPolicy::kInterval;
    auto l = storage::logstore::Store::open(lo);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    logs = std::move(*l);
    storage::tsdb::Options mo;
    mo.dir = dir.file("metrics");
    mo.clock = clock;
    mo.background = false;
    mo.wal_sync = storage::wal::SyncPolicy::kInterval;
    auto db = storage::tsdb::Db::open(mo);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    metrics = std::move(*db);
    auto m = storage::meta::MetaStore::open(dir.file("meta.db"), clock);
    ASSERT_TRUE(m.ok());
    meta = std::move(*m);
    queries = std::make_unique<query::insights::LogQueryService>(logs.get(), clock);
    tags = std::make_unique<resources::TagStore>(meta.get());
    filters = std::make_unique<resources::MetricFilterStore>(meta.get(), clock);
    engine = std::make_unique<MetricFilterEngine>(filters.get());
    definitions = std::make_unique<resources::QueryDefinitionStore>(meta.get());
    deps.logs.logs = logs.get();
    deps.logs.metrics = metrics.get();
    deps.logs.queries = queries.get();
    deps.logs.clock = clock;
    deps.logs.metric_filters = engine.get();
    deps.tags = tags.get();
    deps.metric_filters = filters.get();
    deps.query_definitions = definitions.get();
  }

  // Query workers stop before the stores close.
  void close() {
    queries.reset();
    if (logs) (void)logs->close();
    if (metrics) (void)metrics->close();
  }
};

}  // namespace opsight::api::aws
