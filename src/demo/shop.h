#pragma once
// The simulated shop behind `opsight demo`: a frontend, checkout, payment and inventory service,
// a PostgreSQL database (orders-db) and a RabbitMQ queue (orders-queue). The database and the
// queue are not instrumented: they appear in traces only as the peers of client and producer
// spans (db.system, messaging.system), and emit their own host metrics.
//
// Requests (a Poisson stream of `rps` per second; the mix is fixed):
//   55% GET /products        frontend -> inventory GET /items -> db SELECT
//   15% GET /products/{id}   frontend -> inventory GET /items/{id} -> db SELECT (3% are 404)
//   30% POST /checkout       frontend -> checkout POST /orders -> inventory POST /reservations
//                            (-> db UPDATE), payment POST /charges (-> db INSERT), db INSERT,
//                            queue publish "orders"
// A service whose downstream call fails answers 502; the failing service itself answers 500
// (an `errors` fault, or a rare background failure of 0.2%), so the deepest failing span is
// the root cause. Faults (faults.h) change latency, failures and CPU while they are active.
//
// Telemetry per request: one server span per service hop and one client/producer span per
// call (W3C ids; trace ids start with the request's Unix seconds, so they are valid X-Ray ids),
// one log record per server span (INFO, WARN when slower than 1 s, ERROR on 5xx, with trace and
// span ids). Metrics (metrics()) are cumulative since the simulator started:
// http.server.request.duration (histogram, s) per service, method, route and status code;
// process.cpu.utilization and process.memory.usage per service (gauges); db.client.operations
// (counter) and process.cpu.utilization for orders-db; messaging.queue.depth (gauge) and
// messaging.published (counter) for orders-queue.
//
// Deterministic: the same options, seed and time windows give the same telemetry.
// Thread safety: not thread-safe (one simulator per thread).

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "demo/faults.h"
#include "demo/telemetry.h"

namespace opsight::demo {

struct ShopOptions {
  double rps = 10;  // requests per second arriving at the frontend
  uint64_t seed = 1;
  std::vector<Fault> faults;
};

class Shop {
 public:
  explicit Shop(ShopOptions options);

  // Simulates the requests arriving in [from_ms, to_ms) (windows must follow each other),
  // adding their spans and logs to *out and counting them for metrics().
  void simulate(int64_t from_ms, int64_t to_ms, Telemetry* out);
  // Adds every metric stream's value at t_ms to *out.
  void metrics(int64_t t_ms, Telemetry* out);

  uint64_t requests() const { return requests_; }
  uint64_t spans() const { return spans_; }

  // Resource attributes of a service (service.name, service.namespace, host.name, ...).
  static Attributes resource_of(const std::string& service);

 private:
  struct Call;  // one request's context, see shop.cc
  struct HistogramState {
    std::vector<uint64_t> counts;
    uint64_t count = 0;
    double sum = 0;
  };

  bool fault(FaultKind kind, const std::string& target, int64_t t_ms) const;
  double lognormal(double median_ms, double sigma);
  bool chance(double p);
  std::string random_id(size_t bytes);

  int64_t server_hop(Call& c, const std::string& service, const std::string& method,
                     const std::string& route, const std::string& parent_span_id, int64_t start_ns,
                     int* status);
  int64_t client_call(Call& c, const std::string& caller, const std::string& callee,
                      const std::string& method, const std::string& route,
                      const std::string& parent_span_id, int64_t start_ns, int* status);
  int64_t db_call(Call& c, const std::string& caller, const std::string& operation,
                  const std::string& table, const std::string& parent_span_id, int64_t start_ns,
                  bool* failed);
  int64_t publish(Call& c, const std::string& caller, const std::string& parent_span_id,
                  int64_t start_ns, bool* failed);
  void record_request(const std::string& service, const std::string& method,
                      const std::string& route, int status, double seconds);
  storage::Span new_span(Call& c, const std::string& service, const std::string& name,
                         storage::SpanKind kind, const std::string& parent_span_id,
                         int64_t start_ns);

  ShopOptions opts_;
  std::mt19937_64 rng_;
  int64_t start_ms_ = -1;  // first simulated window's start
  int64_t next_arrival_ns_ = -1;
  uint64_t requests_ = 0;
  uint64_t spans_ = 0;
  // Cumulative metric state.
  // By (service, method, route, status code).
  std::map<std::tuple<std::string, std::string, std::string, int>, HistogramState> histograms_;
  std::map<std::string, double> busy_seconds_;  // service -> work time in the window
  int64_t busy_window_start_ms_ = -1;
  uint64_t db_operations_ = 0;
  uint64_t published_ = 0;
  double queue_depth_ = 0;
};

}  // namespace opsight::demo
