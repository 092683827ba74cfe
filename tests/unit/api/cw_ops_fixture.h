#pragma once
// The fixture of the CloudWatch alarm/resource operation tests: real AlarmService, anomaly
// detectors, dashboards and tag store over a temporary meta store (ManualClock, an in-memory
// data source), with the operations of alarm_ops.h and resource_ops.h in one table, called with
// JSON 1.0 text as the protocol layer would.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>

#include "api/aws/cloudwatch/alarm_ops.h"
#include "api/aws/cloudwatch/resource_ops.h"
#include "common/clock.h"
#include "testing/temp_dir.h"

namespace opsight::api::aws::testing {

inline constexpr int64_t kT0 = 1'700'000'040'000;  // minute-aligned

class CwOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    meta_ = std::move(*m);
    alarm::AlarmServiceOptions o;
    o.state_db_path = dir_.file("alarms.db");
    o.clock = &clock_;
    o.data_source = [](const storage::Tenant&, const alarm::MetricAlarm&, int64_t,
                       int64_t) -> Result<alarm::AlarmSeries> { return alarm::AlarmSeries{}; };
    o.dispatch.post = [](const std::string&, const std::string&, const alarm::Headers&,
                         int64_t) -> Result<int> { return 200; };
    auto s = alarm::AlarmService::open(meta_.get(), std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    alarms_ = std::move(*s);
    detectors_ = std::make_unique<alarm::AnomalyDetectorService>(meta_.get(), nullptr);
    dashboards_ = std::make_unique<resources::DashboardService>(meta_.get());
    tags_ = std::make_unique<resources::TagStore>(meta_.get());
    add_cloudwatch_alarm_ops(table_, {alarms_.get(), detectors_.get(), tags_.get()});
    add_cloudwatch_resource_ops(table_, {dashboards_.get(), tags_.get(), alarms_.get()});
  }
  void TearDown() override {
    alarms_.reset();
    meta_.reset();
  }

  Result<std::string> call(const std::string& op, const std::string& json,
                           const storage::Tenant* tenant = nullptr) {
    auto it = table_.find(op);
    EXPECT_NE(it, table_.end()) << op;
    if (it == table_.end()) return Status::not_found(op);
    CwContext ctx{tenant ? *tenant : tenant_, clock_.now_ms(), {}};
    return it->second(ctx, json);
  }
  // The response of a call that must succeed, parsed.
  simdjson::dom::element ok(const std::string& op, const std::string& json,
                            const storage::Tenant* tenant = nullptr) {
    auto r = call(op, json, tenant);
    EXPECT_TRUE(r.ok()) << op << " " << json << ": " << r.status().to_string();
    last_ = simdjson::padded_string(r.ok() ? *r : std::string("{}"));
    simdjson::dom::element doc;
    EXPECT_FALSE(parser_.parse(last_).get(doc)) << *r;
    return doc;
  }
  // The message of a call that must fail.
  std::string fails(const std::string& op, const std::string& json,
                    const storage::Tenant* tenant = nullptr) {
    auto r = call(op, json, tenant);
    EXPECT_FALSE(r.ok()) << op << " " << json << " succeeded: " << (r.ok() ? *r : "");
    return r.ok() ? "" : r.status().message();
  }

  static std::string metric_alarm(const std::string& name, const std::string& extra = "") {
    return R"({"AlarmName":")" + name + R"(","Namespace":"App","MetricName":"cpu",
      "Statistic":"Average","Period":60,"EvaluationPeriods":1,"Threshold":50,
      "Dimensions":[{"Name":"Host","Value":"h1"}],
      "ComparisonOperator":"GreaterThanThreshold")" +
           extra + "}";
  }

  ::opsight::testing::TempDir dir_{"cw_ops_test"};
  ManualClock clock_{kT0};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<alarm::AlarmService> alarms_;
  std::unique_ptr<alarm::AnomalyDetectorService> detectors_;
  std::unique_ptr<resources::DashboardService> dashboards_;
  std::unique_ptr<resources::TagStore> tags_;
  CwOperationTable table_;
  storage::Tenant tenant_{"123456789012", "local"};
  simdjson::dom::parser parser_;
  simdjson::padded_string last_;
};

}  // namespace opsight::api::aws::testing
