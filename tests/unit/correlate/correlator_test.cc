#include "aiops/correlate/correlator.h"

#include <gtest/gtest.h>

namespace opsight::aiops {
namespace {

using Action = CorrelationDecision::Action;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMin = 60'000;

Signal alarm(std::string source, std::string service, int64_t t, std::string state = "ALARM") {
  Signal s;
  s.kind = SignalKind::kAlarm;
  s.source = std::move(source);
  s.service = std::move(service);
  s.state = std::move(state);
  s.time_ms = t;
  s.severity = 0.7;
  s.summary = s.source + " " + s.state;
  return s;
}

Incident incident_of(std::string id, const Signal& first) {
  Incident inc;
  inc.id = std::move(id);
  inc.tenant = first.tenant;
  EXPECT_TRUE(apply_signal(inc, first));
  return inc;
}

class CorrelatorTest : public ::testing::Test {
 protected:
  // frontend - checkout - payment - orders-db, frontend - inventory; billing - ledger apart.
  Topology topo_{{{"frontend", "checkout"},
                  {"checkout", "payment"},
                  {"payment", "orders-db"},
                  {"frontend", "inventory"},
                  {"billing", "ledger"}}};
  CooccurrenceIndex history_;
  CorrelationOptions opt_;

  CorrelationDecision decide(const Signal& s, const std::vector<const Incident*>& open) {
    return correlate(s, open, topo_, history_, opt_);
  }
};

TEST_F(CorrelatorTest, TopologyDistances) {
  EXPECT_EQ(topo_.distance("payment", "payment", 2), 0);
  EXPECT_EQ(topo_.distance("payment", "checkout", 2), 1);
  EXPECT_EQ(topo_.distance("payment", "frontend", 2), 2);
  EXPECT_EQ(topo_.distance("orders-db", "frontend", 2), -1);  // 3 hops
  EXPECT_EQ(topo_.distance("orders-db", "frontend", 3), 3);
  EXPECT_EQ(topo_.distance("payment", "ledger", 5), -1);
  EXPECT_EQ(topo_.distance("unknown", "unknown", 2), 0);
  EXPECT_EQ(topo_.distance("", "payment", 2), -1);
}

TEST_F(CorrelatorTest, NeighbourOnTopologyJoins) {
  Incident inc = incident_of("inc-000000000001", alarm("PaymentLatency", "payment", kT0));
  auto d = decide(alarm("CheckoutErrors", "checkout", kT0 + 2 * kMin), {&inc});
  EXPECT_EQ(d.action, Action::kJoin);
  EXPECT_EQ(d.index, 0u);
  EXPECT_FALSE(d.repeat);
  EXPECT_EQ(d.score, 2);  // one hop of two
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0], "topology:payment(1 hop)");
  // Two hops still join.
  EXPECT_EQ(decide(alarm("FrontendErrors", "frontend", kT0 + kMin), {&inc}).action, Action::kJoin);
}

TEST_F(CorrelatorTest, FarServicesOpenSeparateIncidents) {
  Incident inc = incident_of("inc-000000000001", alarm("PaymentLatency", "payment", kT0));
  EXPECT_EQ(decide(alarm("LedgerErrors", "ledger", kT0 + kMin), {&inc}).action, Action::kOpen);
  // Three hops away is beyond max_hops.
  Incident db = incident_of("inc-000000000002", alarm("DbCpu", "orders-db", kT0));
  EXPECT_EQ(decide(alarm("FrontendErrors", "frontend", kT0), {&db}).action, Action::kOpen);
  // A neighbour outside the window opens a new one too.
  EXPECT_EQ(decide(alarm("CheckoutErrors", "checkout", kT0 + 16 * kMin), {&inc}).action,
            Action::kOpen);
  // No incidents at all.
  EXPECT_EQ(decide(alarm("CheckoutErrors", "checkout", kT0), {}).action, Action::kOpen);
}

TEST_F(CorrelatorTest, SharedHostJoins) {
  Signal first = alarm("DiskFull", "billing", kT0);
  first.dimensions["instanceid"] = "i-0abc";
  Incident inc = incident_of("inc-000000000001", first);
  EXPECT_EQ(inc.dimensions.at("host"), std::vector<std::string>{"i-0abc"});

  Signal other = alarm("HighCpu", "payment", kT0 + kMin);  // unrelated on the topology
  other.dimensions["host"] = "i-0abc";
  auto d = decide(other, {&inc});
  EXPECT_EQ(d.action, Action::kJoin);
  EXPECT_EQ(d.score, 1);
  EXPECT_EQ(d.reasons, std::vector<std::string>{"dimension:host=i-0abc"});

  // Generic dimensions (namespace, region, ...) do not relate.
  Signal generic = alarm("HighCpu", "payment", kT0 + kMin);
  generic.dimensions["namespace"] = "AWS/EC2";
  generic.dimensions["region"] = "local";
  Signal first2 = alarm("DiskFull", "billing", kT0);
  first2.dimensions["namespace"] = "AWS/EC2";
  first2.dimensions["region"] = "local";
  Incident inc2 = incident_of("inc-000000000002", first2);
  EXPECT_EQ(decide(generic, {&inc2}).action, Action::kOpen);
}

TEST_F(CorrelatorTest, RepeatsAreDeduplicated) {
  Incident inc = incident_of("inc-000000000001", alarm("PaymentLatency", "payment", kT0));
  EXPECT_EQ(inc.alarm_count, 1);
  EXPECT_EQ(inc.active_alarms, 1);
  // Same key, same state: a repeat, whatever the time (key affinity).
  Signal again = alarm("PaymentLatency", "payment", kT0 + 40 * kMin);
  auto d = decide(again, {&inc});
  EXPECT_EQ(d.action, Action::kJoin);
  EXPECT_TRUE(d.repeat);
  EXPECT_FALSE(apply_signal(inc, again));
  EXPECT_EQ(inc.signal_count, 2);
  EXPECT_EQ(inc.keys.size(), 1u);
  EXPECT_EQ(inc.keys.begin()->second.count, 2);
  EXPECT_EQ(inc.alarm_count, 1);
  EXPECT_EQ(inc.active_alarms, 1);
  // A state change of the alarm is an entry.
  Signal ok = alarm("PaymentLatency", "payment", kT0 + 41 * kMin, "OK");
  d = decide(ok, {&inc});
  EXPECT_EQ(d.action, Action::kJoin);
  EXPECT_FALSE(d.repeat);
  EXPECT_TRUE(apply_signal(inc, ok));
  EXPECT_EQ(inc.active_alarms, 0);
  EXPECT_EQ(inc.keys.begin()->second.state, "OK");
  EXPECT_TRUE(apply_signal(inc, alarm("PaymentLatency", "payment", kT0 + 42 * kMin)));
  EXPECT_EQ(inc.alarm_count, 2);
  EXPECT_EQ(inc.active_alarms, 1);
}

TEST_F(CorrelatorTest, RecoveryNeverOpens) {
  auto d = decide(alarm("PaymentLatency", "payment", kT0, "OK"), {});
  EXPECT_EQ(d.action, Action::kIgnore);
  d = decide(alarm("PaymentLatency", "payment", kT0, "INSUFFICIENT_DATA"), {});
  EXPECT_EQ(d.action, Action::kIgnore);
  // Even next to a related incident, a recovery of another key does not join it.
  Incident inc = incident_of("inc-000000000001", alarm("CheckoutErrors", "checkout", kT0));
  EXPECT_EQ(decide(alarm("PaymentLatency", "payment", kT0, "OK"), {&inc}).action, Action::kIgnore);
}

TEST_F(CorrelatorTest, ChangeJoinsButNeverOpens) {
  Signal deploy;
  deploy.kind = SignalKind::kChange;
  deploy.source = "chg-1";
  deploy.service = "payment";
  deploy.time_ms = kT0;
  EXPECT_EQ(decide(deploy, {}).action, Action::kIgnore);
  Incident inc = incident_of("inc-000000000001", alarm("PaymentLatency", "payment", kT0));
  EXPECT_EQ(decide(deploy, {&inc}).action, Action::kJoin);
}

TEST_F(CorrelatorTest, CooccurrenceJoins) {
  Signal a = alarm("LedgerLag", "ledger", kT0);
  Signal b = alarm("PaymentLatency", "payment", kT0 + kMin);
  Incident inc = incident_of("inc-000000000001", a);
  EXPECT_EQ(decide(b, {&inc}).action, Action::kOpen);
  history_.add(signal_key(a), signal_key(b));
  EXPECT_EQ(decide(b, {&inc}).action, Action::kOpen);  // once is not enough
  history_.add(signal_key(b), signal_key(a));
  EXPECT_EQ(history_.count(signal_key(a), signal_key(b)), 2);
  auto d = decide(b, {&inc});
  EXPECT_EQ(d.action, Action::kJoin);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_TRUE(d.reasons[0].starts_with("history:")) << d.reasons[0];
}

TEST_F(CorrelatorTest, ServicelessSignalsShareMetric) {
  Signal a = alarm("CpuHigh-1", "", kT0);
  a.dimensions = {{"namespace", "AWS/EC2"}, {"metric", "CPUUtilization"}};
  Incident inc = incident_of("inc-000000000001", a);
  Signal b = alarm("CpuHigh-2", "", kT0 + kMin);
  b.dimensions = {{"namespace", "AWS/EC2"}, {"metric", "CPUUtilization"}};
  auto d = decide(b, {&inc});
  EXPECT_EQ(d.action, Action::kJoin);
  EXPECT_EQ(d.reasons, std::vector<std::string>{"metric:AWS/EC2|CPUUtilization"});
  b.dimensions["metric"] = "NetworkIn";
  EXPECT_EQ(decide(b, {&inc}).action, Action::kOpen);
}

TEST_F(CorrelatorTest, TieBreakMostEvidenceThenMostRecent) {
  Incident near = incident_of("inc-00000000000a", alarm("CheckoutErrors", "checkout", kT0));
  Signal same_first = alarm("PaymentCpu", "payment", kT0);
  Incident same = incident_of("inc-00000000000b", same_first);
  // payment: 0 hops from "same" (score 3) beats 1 hop from "near" (score 2).
  auto d = decide(alarm("PaymentLatency", "payment", kT0 + kMin), {&near, &same});
  EXPECT_EQ(d.action, Action::kJoin);
  EXPECT_EQ(d.index, 1u);
  EXPECT_EQ(d.score, 3);
  // Equal evidence: the most recently signalled wins.
  Incident older = incident_of("inc-00000000000c", alarm("PaymentErrors", "payment", kT0));
  Incident newer = incident_of("inc-00000000000d", alarm("PaymentSat", "payment", kT0 + kMin));
  d = decide(alarm("PaymentLatency", "payment", kT0 + 2 * kMin), {&newer, &older});
  EXPECT_EQ(d.index, 0u);
  d = decide(alarm("PaymentLatency", "payment", kT0 + 2 * kMin), {&older, &newer});
  EXPECT_EQ(d.index, 1u);
}

TEST_F(CorrelatorTest, SignalKeyAndKindNames) {
  Signal s = alarm("HighLatency", "payment", kT0);
  s.tenant = {"123456789012", "eu-west-1"};
  EXPECT_EQ(signal_key(s), "123456789012/eu-west-1/alarm/HighLatency");
  s.kind = SignalKind::kLogAnomaly;
  EXPECT_EQ(signal_kind_name(s.kind), "log");
  EXPECT_EQ(signal_kind_name(SignalKind::kRed), "red");
  EXPECT_EQ(signal_kind_name(SignalKind::kAnomaly), "anomaly");
  EXPECT_EQ(signal_kind_name(SignalKind::kChange), "change");
  EXPECT_TRUE(is_generic_dimension("namespace"));
  EXPECT_FALSE(is_generic_dimension("host"));
  EXPECT_EQ(canonical_dimension("instanceid"), "host");
}

}  // namespace
}  // namespace opsight::aiops
