#include "aiops/correlate/incident_service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "testing/temp_dir.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMin = 60'000;

Signal alarm(std::string source, std::string service, int64_t t, std::string state = "ALARM") {
  Signal s;
  s.kind = SignalKind::kAlarm;
  s.source = std::move(source);
  s.service = std::move(service);
  s.state = std::move(state);
  s.time_ms = t;
  s.severity = s.state == "ALARM" ? 0.7 : 0.0;
  s.summary = s.source + " " + s.state;
  return s;
}

class IncidentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { open_service(); }

  void open_service(size_t max_pending = 100'000) {
    service_.reset();
    IncidentServiceOptions o;
    o.db_path = dir_.file("incidents.db");
    o.clock = &clock_;
    o.max_pending = max_pending;
    o.topology = [](const storage::Tenant&) {
      return std::vector<std::pair<std::string, std::string>>{
          {"frontend", "checkout"}, {"checkout", "payment"}, {"billing", "ledger"}};
    };
    o.on_event = [this](const events::Event& e) { events_.push_back(e); };
    auto r = IncidentService::open(std::move(o));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    service_ = std::move(*r);
  }

  std::vector<Incident> list_all(std::optional<IncidentState> state = std::nullopt) {
    IncidentQuery q;
    q.state = state;
    auto r = service_->list(tenant_, q);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::vector<Incident>{};
  }

  std::string detail_field(const events::Event& e, std::string_view field) {
    const std::string key = "\"" + std::string(field) + "\":";
    const size_t p = e.detail_json.find(key);
    if (p == std::string::npos) return "";
    size_t b = p + key.size();
    if (e.detail_json[b] == '"') {
      return e.detail_json.substr(b + 1, e.detail_json.find('"', b + 1) - b - 1);
    }
    return e.detail_json.substr(b, e.detail_json.find_first_of(",}", b) - b);
  }

  testing::TempDir dir_{"incident_service"};
  ManualClock clock_{kT0};
  storage::Tenant tenant_;
  std::vector<events::Event> events_;
  std::unique_ptr<IncidentService> service_;
};

TEST_F(IncidentServiceTest, GroupsNeighboursAndSeparatesFarServices) {
  ASSERT_TRUE(service_->submit(alarm("PaymentLatency", "payment", kT0)));
  ASSERT_TRUE(service_->submit(alarm("CheckoutErrors", "checkout", kT0 + kMin)));
  ASSERT_TRUE(service_->submit(alarm("LedgerLag", "ledger", kT0 + kMin)));
  ASSERT_TRUE(service_->submit(alarm("PaymentLatency", "payment", kT0 + 2 * kMin)));  // repeat
  EXPECT_EQ(service_->process_pending(), 4u);
  EXPECT_EQ(service_->process_pending(), 0u);
  auto all = list_all();
  ASSERT_EQ(all.size(), 2u);
  const Incident& shop = all[0].services.size() == 2 ? all[0] : all[1];
  const Incident& ledger = all[0].services.size() == 2 ? all[1] : all[0];
  EXPECT_EQ(shop.services, (std::vector<std::string>{"checkout", "payment"}));
  EXPECT_EQ(shop.title, "payment: PaymentLatency ALARM");
  EXPECT_EQ(shop.signal_count, 3);
  EXPECT_EQ(shop.alarm_count, 2);
  EXPECT_EQ(shop.active_alarms, 2);
  EXPECT_EQ(shop.keys.size(), 2u);
  EXPECT_EQ(shop.first_signal_ms, kT0);
  EXPECT_EQ(shop.last_signal_ms, kT0 + 2 * kMin);
  EXPECT_EQ(shop.state, IncidentState::kOpen);
  EXPECT_EQ(shop.id.size(), 16u);
  EXPECT_TRUE(shop.id.starts_with("inc-"));
  EXPECT_EQ(ledger.services, std::vector<std::string>{"ledger"});
  auto st = service_->stats();
  EXPECT_EQ(st.processed, 4u);
  EXPECT_EQ(st.opened, 2u);
  EXPECT_EQ(st.deduplicated, 1u);
  EXPECT_EQ(st.active, 2u);

  // The timeline of the shop incident: two signal entries (the repeat is not one).
  auto tl = service_->timeline(tenant_, shop.id);
  ASSERT_TRUE(tl.ok());
  ASSERT_EQ(tl->size(), 2u);
  EXPECT_EQ((*tl)[0].type, TimelineType::kSignal);
  EXPECT_EQ((*tl)[0].text, "PaymentLatency ALARM");
  EXPECT_EQ((*tl)[0].time_ms, kT0);
  EXPECT_EQ((*tl)[1].text, "CheckoutErrors ALARM");
  EXPECT_NE((*tl)[1].data_json.find("topology:payment(1 hop)"), std::string::npos)
      << (*tl)[1].data_json;

  // Filters.
  IncidentQuery q;
  q.service = "ledger";
  auto by_service = service_->list(tenant_, q);
  ASSERT_TRUE(by_service.ok());
  ASSERT_EQ(by_service->size(), 1u);
  EXPECT_EQ((*by_service)[0].id, ledger.id);
  EXPECT_TRUE(list_all(IncidentState::kResolved).empty());
  auto other = service_->list({"111111111111", "local"}, IncidentQuery{});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_F(IncidentServiceTest, LifecycleOpenAcknowledgeResolve) {
  service_->submit(alarm("PaymentLatency", "payment", kT0));
  service_->process_pending();
  const std::string id = list_all().at(0).id;

  clock_.advance_ms(kMin);
  ASSERT_TRUE(service_->acknowledge(tenant_, id, "alice", "looking").ok());
  auto inc = service_->get(tenant_, id);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(inc->state, IncidentState::kAcknowledged);
  EXPECT_EQ(inc->updated_ms, kT0 + kMin);

  Status again = service_->acknowledge(tenant_, id, "bob", "");
  EXPECT_EQ(again.code(), Code::kFailedPrecondition);
  EXPECT_NE(again.message().find("acknowledged"), std::string::npos) << again.message();

  // Still correlating while acknowledged.
  service_->submit(alarm("CheckoutErrors", "checkout", kT0 + kMin / 2));
  service_->process_pending();
  EXPECT_EQ(service_->get(tenant_, id)->services.size(), 2u);

  ASSERT_TRUE(service_->annotate(tenant_, id, "alice", "payment pods restarting").ok());
  EXPECT_EQ(service_->annotate(tenant_, id, "alice", "").code(), Code::kInvalidArgument);
  TimelineEntry action;
  action.type = TimelineType::kAction;
  action.text = "webhook slack delivered";
  action.data_json = R"({"status":200})";
  ASSERT_TRUE(service_->add_entry(tenant_, id, action).ok());

  clock_.advance_ms(kMin);
  ASSERT_TRUE(service_->resolve(tenant_, id, "alice", "rolled back").ok());
  inc = service_->get(tenant_, id);
  EXPECT_EQ(inc->state, IncidentState::kResolved);
  EXPECT_EQ(inc->resolved_ms, kT0 + 2 * kMin);
  Status twice = service_->resolve(tenant_, id, "alice", "");
  EXPECT_EQ(twice.code(), Code::kFailedPrecondition);
  EXPECT_NE(twice.message().find("resolved"), std::string::npos);
  EXPECT_EQ(service_->acknowledge(tenant_, id, "x", "").code(), Code::kFailedPrecondition);
  // Notes may still be added to a resolved incident.
  EXPECT_TRUE(service_->annotate(tenant_, id, "alice", "postmortem: PM-12").ok());

  EXPECT_EQ(service_->get(tenant_, "inc-000000000000").status().code(), Code::kNotFound);
  EXPECT_EQ(service_->resolve(tenant_, "inc-000000000000", "a", "").code(), Code::kNotFound);
  EXPECT_EQ(service_->get({"111111111111", "local"}, id).status().code(), Code::kNotFound);
  EXPECT_EQ(service_->timeline(tenant_, "inc-nope").status().code(), Code::kNotFound);

  auto tl = service_->timeline(tenant_, id);
  ASSERT_TRUE(tl.ok());
  std::vector<std::string> texts;
  for (const auto& e : *tl) texts.push_back(std::string(timeline_type_name(e.type)) + "|" + e.text);
  EXPECT_EQ(texts, (std::vector<std::string>{
                       "signal|PaymentLatency ALARM",
                       "signal|CheckoutErrors ALARM",
                       "state|acknowledged by alice: looking",
                       "note|payment pods restarting",
                       "action|webhook slack delivered",
                       "state|resolved by alice: rolled back",
                       "note|postmortem: PM-12",
                   }));
  EXPECT_EQ((*tl)[2].author, "alice");
  EXPECT_EQ((*tl)[4].data_json, R"({"status":200})");

  // A signal for the resolved incident's key opens a new one.
  service_->submit(alarm("PaymentLatency", "payment", kT0 + 3 * kMin));
  service_->process_pending();
  auto open = list_all(IncidentState::kOpen);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_NE(open[0].id, id);
}

TEST_F(IncidentServiceTest, EventsForEveryChange) {
  service_->submit(alarm("PaymentLatency", "payment", kT0));
  service_->process_pending();
  service_->submit(alarm("PaymentLatency", "payment", kT0 + 1));  // repeat: no event
  service_->process_pending();
  service_->submit(alarm("CheckoutErrors", "checkout", kT0 + 2));
  service_->process_pending();
  const std::string id = list_all().at(0).id;
  ASSERT_TRUE(service_->acknowledge(tenant_, id, "alice", "").ok());
  ASSERT_TRUE(service_->annotate(tenant_, id, "alice", "hm").ok());
  TimelineEntry e;
  e.type = TimelineType::kInvestigation;
  e.text = "investigation inv-1";
  ASSERT_TRUE(service_->add_entry(tenant_, id, e).ok());  // no event
  ASSERT_TRUE(service_->resolve(tenant_, id, "alice", "").ok());

  std::vector<std::string> changes;
  for (const auto& ev : events_) {
    EXPECT_EQ(ev.source, "opsight.incidents");
    EXPECT_EQ(ev.detail_type, "Incident State Change");
    EXPECT_EQ(ev.resources, std::vector<std::string>{"incident/" + id});
    EXPECT_EQ(detail_field(ev, "incidentId"), id);
    EXPECT_EQ(ev.id.size(), 36u);
    changes.push_back(detail_field(ev, "change") + ":" + detail_field(ev, "previousState") + "->" +
                      detail_field(ev, "state"));
  }
  EXPECT_EQ(changes, (std::vector<std::string>{
                         "opened:null->open",
                         "signal_added:open->open",
                         "acknowledged:open->acknowledged",
                         "annotated:acknowledged->acknowledged",
                         "resolved:acknowledged->resolved",
                     }));
  EXPECT_NE(events_[1].detail_json.find(R"("services":["checkout","payment"])"), std::string::npos)
      << events_[1].detail_json;
}

TEST_F(IncidentServiceTest, AutoResolveAfterQuietPeriodWhenAlarmsOk) {
  service_->submit(alarm("PaymentLatency", "payment", kT0));
  service_->submit(alarm("CheckoutErrors", "checkout", kT0));
  service_->process_pending();
  const std::string id = list_all().at(0).id;

  // Quiet, but alarms still in ALARM: stays open.
  clock_.advance_ms(30 * kMin);
  EXPECT_EQ(service_->run_maintenance(), 0u);
  EXPECT_EQ(service_->get(tenant_, id)->state, IncidentState::kOpen);

  // Both go OK (after the correlation window: key affinity still finds the incident).
  service_->submit(alarm("PaymentLatency", "payment", kT0 + 30 * kMin, "OK"));
  service_->submit(alarm("CheckoutErrors", "checkout", kT0 + 30 * kMin, "INSUFFICIENT_DATA"));
  service_->process_pending();
  auto inc = service_->get(tenant_, id);
  EXPECT_EQ(inc->active_alarms, 0);
  EXPECT_EQ(inc->signal_count, 4);

  clock_.advance_ms(9 * kMin);
  EXPECT_EQ(service_->run_maintenance(), 0u);  // not yet quiet for 10 minutes
  clock_.advance_ms(kMin);
  EXPECT_EQ(service_->run_maintenance(), 1u);
  inc = service_->get(tenant_, id);
  EXPECT_EQ(inc->state, IncidentState::kResolved);
  EXPECT_EQ(inc->resolved_ms, kT0 + 40 * kMin);
  auto tl = service_->timeline(tenant_, id);
  ASSERT_TRUE(tl.ok());
  EXPECT_EQ(tl->back().type, TimelineType::kState);
  EXPECT_EQ(tl->back().author, "opsight");
  EXPECT_TRUE(tl->back().text.starts_with("resolved automatically")) << tl->back().text;
  EXPECT_EQ(service_->stats().auto_resolved, 1u);
  EXPECT_EQ(detail_field(events_.back(), "change"), "auto_resolved");

  // A recovery after resolution opens nothing.
  service_->submit(alarm("PaymentLatency", "payment", kT0 + 41 * kMin, "OK"));
  service_->process_pending();
  EXPECT_TRUE(list_all(IncidentState::kOpen).empty());
  EXPECT_EQ(service_->stats().ignored, 1u);
}

TEST_F(IncidentServiceTest, SurvivesRestart) {
  service_->submit(alarm("PaymentLatency", "payment", kT0));
  service_->submit(alarm("LedgerLag", "ledger", kT0));
  service_->process_pending();
  auto before = list_all();
  ASSERT_EQ(before.size(), 2u);
  const std::string ledger_id = before[0].services[0] == "ledger" ? before[0].id : before[1].id;
  const std::string shop_id = before[0].services[0] == "ledger" ? before[1].id : before[0].id;
  ASSERT_TRUE(service_->resolve(tenant_, ledger_id, "bob", "noise").ok());
  before = list_all();
  std::vector<std::vector<TimelineEntry>> timelines;
  for (const auto& inc : before) timelines.push_back(*service_->timeline(tenant_, inc.id));

  open_service();
  EXPECT_EQ(service_->stats().active, 1u);
  auto after = list_all();
  EXPECT_EQ(after, before);
  for (size_t i = 0; i < after.size(); i++) {
    EXPECT_EQ(*service_->timeline(tenant_, after[i].id), timelines[i]);
  }
  // The reloaded open incident keeps correlating.
  service_->submit(alarm("CheckoutErrors", "checkout", kT0 + kMin));
  service_->process_pending();
  EXPECT_EQ(service_->get(tenant_, shop_id)->services,
            (std::vector<std::string>{"checkout", "payment"}));
}

TEST_F(IncidentServiceTest, FullQueueRefuses) {
  open_service(2);
  EXPECT_TRUE(service_->submit(alarm("A", "payment", kT0)));
  EXPECT_TRUE(service_->submit(alarm("B", "payment", kT0)));
  EXPECT_FALSE(service_->submit(alarm("C", "payment", kT0)));
  auto st = service_->stats();
  EXPECT_EQ(st.submitted, 2u);
  EXPECT_EQ(st.dropped, 1u);
  EXPECT_EQ(st.pending, 2u);
  EXPECT_EQ(service_->process_pending(), 2u);
  EXPECT_TRUE(service_->submit(alarm("C", "payment", kT0)));
}

TEST_F(IncidentServiceTest, CooccurrenceLearnedFromResolvedIncidents) {
  // ledger and payment are unrelated on the topology, but fail together twice.
  for (int round = 0; round < 2; round++) {
    const int64_t t = kT0 + round * 60 * kMin;
    Signal a = alarm("LedgerLag", "ledger", t);
    Signal b = alarm("PaymentLatency", "payment", t);
    a.dimensions["host"] = "shared-" + std::to_string(round);  // joined by a shared host
    b.dimensions["host"] = "shared-" + std::to_string(round);
    service_->submit(a);
    service_->submit(b);
    service_->process_pending();
    auto open = list_all(IncidentState::kOpen);
    ASSERT_EQ(open.size(), 1u);
    ASSERT_TRUE(service_->resolve(tenant_, open[0].id, "ops", "").ok());
  }
  open_service();  // the counts are persisted too
  service_->submit(alarm("LedgerLag", "ledger", kT0 + 200 * kMin));
  service_->submit(alarm("PaymentLatency", "payment", kT0 + 201 * kMin));
  service_->process_pending();
  auto open = list_all(IncidentState::kOpen);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].services, (std::vector<std::string>{"ledger", "payment"}));
  auto tl = service_->timeline(tenant_, open[0].id);
  EXPECT_NE(tl->back().data_json.find("history:"), std::string::npos) << tl->back().data_json;
}

TEST_F(IncidentServiceTest, RecentChangeAttachedToNewIncident) {
  Signal deploy;
  deploy.kind = SignalKind::kChange;
  deploy.source = "chg-42";
  deploy.service = "payment";
  deploy.state = "";
  deploy.time_ms = kT0;
  deploy.summary = "payment deployed v2.3.1";
  service_->submit(deploy);
  service_->process_pending();
  EXPECT_TRUE(list_all().empty());
  service_->submit(alarm("PaymentLatency", "payment", kT0 + kMin));
  service_->process_pending();
  auto all = list_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].keys.size(), 2u);
  auto tl = service_->timeline(tenant_, all[0].id);
  ASSERT_EQ(tl->size(), 2u);
  EXPECT_EQ((*tl)[0].text, "payment deployed v2.3.1");  // chronological
}

TEST_F(IncidentServiceTest, RetentionPurgesOldResolvedIncidents) {
  service_->submit(alarm("PaymentLatency", "payment", kT0));
  service_->process_pending();
  const std::string id = list_all().at(0).id;
  ASSERT_TRUE(service_->resolve(tenant_, id, "a", "").ok());
  EXPECT_EQ(service_->run_maintenance(), 0u);  // first purge pass: nothing old enough
  clock_.advance_ms(91LL * 24 * 3600 * 1000);
  EXPECT_EQ(service_->run_maintenance(), 1u);
  EXPECT_EQ(service_->get(tenant_, id).status().code(), Code::kNotFound);
  EXPECT_EQ(service_->stats().purged, 1u);
}

TEST_F(IncidentServiceTest, WorkerProcessesQueue) {
  service_->start();
  service_->submit(alarm("PaymentLatency", "payment", kT0));
  service_->stop();  // drains what is queued
  EXPECT_EQ(list_all().size(), 1u);
  service_->stop();  // idempotent
}

// Throughput figure for the report (no timing assertion): 10,000 signals from 50 services
// in one batch, as a burst of a minute would arrive.
TEST_F(IncidentServiceTest, ThroughputTenThousandSignals) {
  std::vector<std::pair<std::string, std::string>> edges;
  for (int i = 1; i < 50; i++) {
    edges.emplace_back("svc-" + std::to_string(i / 3), "svc-" + std::to_string(i));
  }
  service_.reset();
  IncidentServiceOptions o;
  o.db_path = dir_.file("bench.db");
  o.clock = &clock_;
  o.topology = [edges](const storage::Tenant&) { return edges; };
  auto r = IncidentService::open(std::move(o));
  ASSERT_TRUE(r.ok());
  service_ = std::move(*r);
  std::mt19937_64 rng(42);
  constexpr int kSignals = 10'000;
  for (int i = 0; i < kSignals; i++) {
    const int svc = static_cast<int>(rng() % 50);
    Signal s = alarm(fmt::format("alarm-{}-{}", svc, rng() % 40), "svc-" + std::to_string(svc),
                     kT0 + i * 6, rng() % 4 == 0 ? "OK" : "ALARM");
    s.dimensions["host"] = "host-" + std::to_string(rng() % 200);
    ASSERT_TRUE(service_->submit(std::move(s)));
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(service_->process_pending(), static_cast<size_t>(kSignals));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  auto st = service_->stats();
  std::printf(
      "[ figure ] process_pending: %d signals, 50 services, %.1f ms (%.0f signals/s); "
      "opened %lu, joined %lu, deduplicated %lu, ignored %lu\n",
      kSignals, ms, kSignals / (ms / 1000.0), static_cast<unsigned long>(st.opened),
      static_cast<unsigned long>(st.joined), static_cast<unsigned long>(st.deduplicated),
      static_cast<unsigned long>(st.ignored));
  EXPECT_EQ(st.processed, static_cast<uint64_t>(kSignals));
  EXPECT_GE(st.opened, 1u);
}

}  // namespace
}  // namespace opsight::aiops
