// Alarm evaluation at scale: 100,000 metric alarms (Period 60 s, 3 of 3, GreaterThanThreshold)
// over 100,000 in-memory series, evaluated by AlarmService::run_due() once per simulated
// minute, the path the scheduler thread runs: snapshot of the due group, one data-source call
// per alarm (a synthetic source over the in-memory series), the evaluation state machine, and
// for the ~2% of alarms that change state each minute the reason text, history items, events
// and the SQLite commit. One iteration = one minute = 100,000 evaluations; items/s =
// evaluations per second on one core. The benchmark fails when a tick did not evaluate every
// alarm (it checks the service's evaluation counter).
//
// Also BM_Decide: the pure evaluation (slot_series + decide) per alarm, without the service.
//
// Run: bench/alarm_eval_bench (Release, without OPSIGHT_SANITIZE). The setup puts 100,000
// alarms through the service (a few seconds; the databases live in $TMPDIR, /dev/shm is faster).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "alarm/alarm_service.h"
#include "alarm/evaluation.h"

namespace opsight::alarm {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000 - 1'800'000'000'000 % 60'000;
constexpr int kRing = 64;  // minutes of data per series

// n series of kRing one-minute points; ~2% of the series flip between low and high values
// around the threshold each minute, the rest stay low.
struct Series {
  explicit Series(size_t n) : values(n * kRing) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> low(0, 40), high(60, 100);
    for (size_t i = 0; i < n; i++) {
      const bool flappy = i % 50 == 0;
      for (int m = 0; m < kRing; m++) {
        const bool breach = flappy && (m / 4) % 2 == 1;
        values[i * kRing + static_cast<size_t>(m)] = breach ? high(rng) : low(rng);
      }
    }
  }
  std::vector<double> values;
};

size_t index_of(const MetricAlarm& a) {
  size_t i = 0;
  for (char c : a.metric_name) {
    if (c >= '0' && c <= '9') i = i * 10 + static_cast<size_t>(c - '0');
  }
  return i;
}

AlarmSeries read(const Series& s, size_t i, int64_t start, int64_t end) {
  AlarmSeries out;
  out.timestamps_ms.reserve(5);
  out.values.reserve(5);
  for (int64_t t = start; t < end; t += 60'000) {
    const size_t minute = static_cast<size_t>((t / 60'000) % kRing);
    out.timestamps_ms.push_back(t);
    out.values.push_back(s.values[i * kRing + minute]);
  }
  return out;
}

MetricAlarm make_alarm(size_t i) {
  MetricAlarm a;
  a.alarm_name = "alarm-" + std::to_string(i);
  a.namespace_name = "Bench";
  a.metric_name = "m" + std::to_string(i);
  a.statistic = "Average";
  a.dimensions = {{"Host", "host-" + std::to_string(i % 1000)}};
  a.period_s = 60;
  a.evaluation_periods = 3;
  a.datapoints_to_alarm = 3;
  a.threshold = 50;
  a.comparison = ComparisonOperator::kGreaterThanThreshold;
  return a;
}

void BM_Decide(benchmark::State& state) {
  const size_t n = 100'000;
  Series series(n);
  std::vector<MetricAlarm> alarms;
  for (size_t i = 0; i < n; i++) alarms.push_back(make_alarm(i));
  size_t i = 0, alarm_states = 0;
  int64_t end = kT0;
  for (auto _ : state) {
    const MetricAlarm& a = alarms[i];
    const AlarmSeries s = read(series, i, end - 5 * 60'000, end);
    const auto slots = slot_series(a, s, end);
    const Outcome o = decide(a, slots, StateValue::kOk);
    alarm_states += o.state == StateValue::kAlarm;
    if (++i == n) {
      i = 0;
      end += 60'000;
    }
  }
  benchmark::DoNotOptimize(alarm_states);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decide);

void BM_SchedulerMinute(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::string dir = (std::filesystem::temp_directory_path() / "alarm_bench_XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  Series series(n);
  ManualClock clock(kT0);
  auto meta = storage::meta::MetaStore::open(dir + "/meta.db", &clock);
  if (!meta.ok()) {
    state.SkipWithError(meta.status().to_string().c_str());
    return;
  }
  AlarmServiceOptions o;
  o.state_db_path = dir + "/alarms.db";
  o.clock = &clock;
  o.data_source = [&series](const storage::Tenant&, const MetricAlarm& a, int64_t start,
                            int64_t end) -> Result<AlarmSeries> {
    return read(series, index_of(a), start, end);
  };
  size_t events = 0;
  o.event_sink = [&events](const storage::Tenant&, const std::string&) { events++; };
  auto svc = AlarmService::open(meta->get(), std::move(o));
  if (!svc.ok()) {
    state.SkipWithError(svc.status().to_string().c_str());
    return;
  }
  storage::Tenant tenant;
  for (size_t i = 0; i < n; i++) {
    Status st = (*svc)->put_alarm(tenant, AlarmDefinition(make_alarm(i)));
    if (!st.ok()) {
      state.SkipWithError(st.to_string().c_str());
      return;
    }
  }
  (*svc)->run_due();  // first evaluation: every alarm leaves INSUFFICIENT_DATA
  uint64_t transitions = 0;
  for (auto _ : state) {
    clock.advance_ms(60'000);
    const uint64_t before = (*svc)->stats().evaluations;
    const uint64_t tr_before = (*svc)->stats().transitions;
    const size_t evaluated = (*svc)->run_due();
    if (evaluated != n || (*svc)->stats().evaluations - before != n) {
      state.SkipWithError("a tick did not evaluate every alarm");
      break;
    }
    transitions += (*svc)->stats().transitions - tr_before;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["transitions_per_minute"] = benchmark::Counter(
      static_cast<double>(transitions) / static_cast<double>(state.iterations()));
  state.counters["events"] = static_cast<double>(events);
  svc->reset();
  meta->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SchedulerMinute)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
}  // namespace opsight::alarm

BENCHMARK_MAIN();
