#include "demo/shop.h"

#include <algorithm>
#include <cmath>

#include "common/version.h"

namespace opsight::demo {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr double kBackgroundFailure = 0.002;
constexpr double kFaultFailure = 0.30;
const std::vector<double> kDurationBounds = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                             0.5,   0.75, 1,     2.5,  5,     7.5, 10};

// Median own work per request (ms) of each service.
double own_work_ms(const std::string& service) {
  if (service == "frontend") return 4;
  if (service == "checkout") return 8;
  if (service == "payment") return 25;
  return 5;  // inventory
}

// What a failing service throws (exception.type, exception.message).
std::pair<std::string, std::string> exception_of(const std::string& service) {
  if (service == "payment") return {"PaymentProcessorError", "card network unavailable"};
  if (service == "inventory") return {"StockServiceError", "lock wait timeout exceeded"};
  if (service == "checkout") return {"OrderServiceError", "order state machine rejected event"};
  return {"RenderError", "template rendering failed"};
}

ServiceTelemetry& sink(Telemetry* out, const std::string& service) {
  ServiceTelemetry& t = (*out)[service];
  if (t.resource.empty()) t.resource = Shop::resource_of(service);
  return t;
}

storage::SpanAttribute attr(std::string key, std::string value) {
  return storage::SpanAttribute{std::move(key), std::move(value), storage::AttrType::kString, true};
}
storage::SpanAttribute int_attr(std::string key, int64_t value) {
  return storage::SpanAttribute{std::move(key), std::to_string(value), storage::AttrType::kInt,
                                true};
}

void add_exception(storage::Span* s, int64_t t_ns, const std::string& type,
                   const std::string& message) {
  storage::SpanEvent e;
  e.time_ns = t_ns;
  e.name = "exception";
  e.attributes = {attr("exception.type", type), attr("exception.message", message)};
  for (auto& a : e.attributes) a.indexed = false;  // event attributes are stored, not indexed
  s->events.push_back(std::move(e));
}

std::string format_ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

}  // namespace

struct Shop::Call {
  std::string trace_id;
  int64_t t_ms = 0;  // arrival, for fault checks
  Telemetry* out = nullptr;
};

Shop::Shop(ShopOptions options) : opts_(std::move(options)), rng_(opts_.seed) {}

Attributes Shop::resource_of(const std::string& service) {
  Attributes r = {{"service.name", service},
                  {"service.namespace", "shop"},
                  {"service.version", "1.4.2"},
                  {"deployment.environment", "demo"},
                  {"host.name", service + "-1"},
                  {"service.instance.id", service + "-1"},
                  {"telemetry.sdk.name", "opsight-demo"},
                  {"telemetry.sdk.version", std::string(version())}};
  if (service == "orders-db") r.push_back({"db.system", "postgresql"});
  if (service == "orders-queue") r.push_back({"messaging.system", "rabbitmq"});
  return r;
}

bool Shop::fault(FaultKind kind, const std::string& target, int64_t t_ms) const {
  for (const Fault& f : opts_.faults) {
    if (f.kind == kind && f.target == target && f.active(t_ms)) return true;
  }
  return false;
}

double Shop::lognormal(double median_ms, double sigma) {
  std::normal_distribution<double> n(0.0, sigma);
  return median_ms * std::exp(n(rng_));
}

bool Shop::chance(double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

std::string Shop::random_id(size_t bytes) {
  std::string id(bytes, '\0');
  do {
    for (size_t i = 0; i < bytes; i += 8) {
      uint64_t r = rng_();
      for (size_t j = 0; j < 8 && i + j < bytes; ++j) id[i + j] = static_cast<char>(r >> (8 * j));
    }
  } while (id == std::string(bytes, '\0'));
  return id;
}

storage::Span Shop::new_span(Call& c, const std::string& service, const std::string& name,
                             storage::SpanKind kind, const std::string& parent_span_id,
                             int64_t start_ns) {
  storage::Span s;
  s.trace_id = c.trace_id;
  s.span_id = random_id(8);
  s.parent_span_id = parent_span_id;
  s.flags = 1;  // sampled
  s.service = service;
  s.name = name;
  s.kind = kind;
  s.start_ns = start_ns;
  s.scope_name = "opsight-demo";
  s.scope_version = std::string(version());
  return s;
}

void Shop::record_request(const std::string& service, const std::string& method,
                          const std::string& route, int status, double seconds) {
  HistogramState& h = histograms_[{service, method, route, status}];
  if (h.counts.empty()) h.counts.assign(kDurationBounds.size() + 1, 0);
  size_t b = std::lower_bound(kDurationBounds.begin(), kDurationBounds.end(), seconds) -
             kDurationBounds.begin();
  ++h.counts[b];
  ++h.count;
  h.sum += seconds;
}

int64_t Shop::db_call(Call& c, const std::string& caller, const std::string& operation,
                      const std::string& table, const std::string& parent_span_id, int64_t start_ns,
                      bool* failed) {
  storage::Span s = new_span(c, caller, operation + " shop." + table, storage::SpanKind::kClient,
                             parent_span_id, start_ns);
  double ms = lognormal(operation == "SELECT" ? 2.5 : 4.0, 0.4);
  if (fault(FaultKind::kLatency, "db", c.t_ms)) ms = ms * 8 + 300;
  if (fault(FaultKind::kCpu, "db", c.t_ms)) ms *= 5;
  *failed = chance(kBackgroundFailure / 2) ||
            (fault(FaultKind::kErrors, "db", c.t_ms) && chance(kFaultFailure));
  bool timeout = fault(FaultKind::kCpu, "db", c.t_ms) && chance(0.02);
  if (timeout) {
    ms = 2000;
    *failed = true;
  }
  const std::string statement =
      operation == "SELECT"   ? "SELECT id, name, price, stock FROM " + table + " WHERE id = $1"
      : operation == "UPDATE" ? "UPDATE " + table + " SET stock = stock - $1 WHERE id = $2"
                              : "INSERT INTO " + table + " VALUES ($1, $2, $3)";
  s.attributes = {attr("db.system", "postgresql"), attr("db.name", "shop"),
                  attr("db.operation", operation), attr("db.sql.table", table),
                  attr("db.statement", statement), attr("server.address", "orders-db"),
                  int_attr("server.port", 5432)};
  s.end_ns = start_ns + static_cast<int64_t>(ms * kNsPerMs);
  if (*failed) {
    s.status_code = storage::SpanStatusCode::kError;
    s.status_message = timeout ? "canceling statement due to statement timeout"
                               : "could not serialize access due to concurrent update";
    add_exception(&s, s.end_ns, timeout ? "QueryCanceled" : "SerializationFailure",
                  s.status_message);
  }
  busy_seconds_["orders-db"] += ms / 1000.0;
  ++db_operations_;
  sink(c.out, caller).spans.push_back(std::move(s));
  ++spans_;
  return start_ns + static_cast<int64_t>(ms * kNsPerMs);
}

int64_t Shop::publish(Call& c, const std::string& caller, const std::string& parent_span_id,
                      int64_t start_ns, bool* failed) {
  storage::Span s =
      new_span(c, caller, "orders publish", storage::SpanKind::kProducer, parent_span_id, start_ns);
  double ms = lognormal(1.2, 0.3);
  if (fault(FaultKind::kLatency, "queue", c.t_ms)) ms = ms * 8 + 300;
  if (fault(FaultKind::kCpu, "queue", c.t_ms)) ms *= 3;
  *failed = fault(FaultKind::kErrors, "queue", c.t_ms) && chance(kFaultFailure);
  s.attributes = {attr("messaging.system", "rabbitmq"),
                  attr("messaging.destination.name", "orders"),
                  attr("messaging.operation", "publish"), attr("server.address", "orders-queue"),
                  int_attr("server.port", 5672)};
  s.end_ns = start_ns + static_cast<int64_t>(ms * kNsPerMs);
  if (*failed) {
    s.status_code = storage::SpanStatusCode::kError;
    s.status_message = "channel closed: connection blocked by broker";
    add_exception(&s, s.end_ns, "ChannelClosed", s.status_message);
  } else {
    ++published_;
    queue_depth_ += 1;
  }
  const int64_t end_ns = s.end_ns;
  sink(c.out, caller).spans.push_back(std::move(s));
  ++spans_;
  return end_ns;
}

int64_t Shop::client_call(Call& c, const std::string& caller, const std::string& callee,
                          const std::string& method, const std::string& route,
                          const std::string& parent_span_id, int64_t start_ns, int* status) {
  storage::Span s = new_span(c, caller, method + " " + route, storage::SpanKind::kClient,
                             parent_span_id, start_ns);
  int64_t t = start_ns + static_cast<int64_t>(lognormal(0.4, 0.3) * kNsPerMs);
  t = server_hop(c, callee, method, route, s.span_id, t, status);
  t += static_cast<int64_t>(lognormal(0.4, 0.3) * kNsPerMs);
  s.end_ns = t;
  s.attributes = {
      attr("http.request.method", method), attr("url.full", "http://" + callee + ":8080" + route),
      attr("server.address", callee),      int_attr("server.port", 8080),
      attr("peer.service", callee),        int_attr("http.response.status_code", *status)};
  if (*status >= 400) s.status_code = storage::SpanStatusCode::kError;
  sink(c.out, caller).spans.push_back(std::move(s));
  ++spans_;
  return t;
}

int64_t Shop::server_hop(Call& c, const std::string& service, const std::string& method,
                         const std::string& route, const std::string& parent_span_id,
                         int64_t start_ns, int* status) {
  storage::Span s = new_span(c, service, method + " " + route, storage::SpanKind::kServer,
                             parent_span_id, start_ns);
  double own_ms = lognormal(own_work_ms(service), 0.35);
  if (fault(FaultKind::kLatency, service, c.t_ms)) own_ms = own_ms * 8 + 300;
  if (fault(FaultKind::kCpu, service, c.t_ms)) own_ms *= 3;
  int64_t t = start_ns + static_cast<int64_t>(own_ms * 0.4 * kNsPerMs);

  // Downstream work; the first failure stops the request.
  int child = 200;
  bool db_failed = false;
  auto call = [&](const std::string& callee, const std::string& m, const std::string& r) {
    if (child >= 400 || db_failed) return;
    t = client_call(c, service, callee, m, r, s.span_id, t, &child);
  };
  auto query = [&](const std::string& op, const std::string& table) {
    if (child >= 400 || db_failed) return;
    t = db_call(c, service, op, table, s.span_id, t, &db_failed);
  };
  if (service == "frontend") {
    if (route == "/checkout") {
      call("checkout", "POST", "/orders");
    } else if (route == "/products") {
      call("inventory", "GET", "/items");
    } else {
      call("inventory", "GET", "/items/{id}");
    }
  } else if (service == "checkout") {
    call("inventory", "POST", "/reservations");
    call("payment", "POST", "/charges");
    query("INSERT", "orders");
    if (child < 400 && !db_failed) {
      bool failed = false;
      t = publish(c, service, s.span_id, t, &failed);
      db_failed = failed;  // a failed publish fails the order like a failed query
    }
  } else if (service == "payment") {
    query("INSERT", "payments");
  } else if (service == "inventory") {
    query(method == "GET" ? "SELECT" : "UPDATE", method == "GET" ? "items" : "stock");
  }
  t += static_cast<int64_t>(own_ms * 0.6 * kNsPerMs);

  bool own_failure = chance(kBackgroundFailure) ||
                     (fault(FaultKind::kErrors, service, c.t_ms) && chance(kFaultFailure));
  if (own_failure || db_failed) {
    *status = 500;
  } else if (child >= 500) {
    *status = 502;
  } else if (child >= 400) {
    *status = child;  // a 404 from inventory passes through
  } else if (service == "inventory" && route == "/items/{id}" && chance(0.03)) {
    *status = 404;
  } else {
    *status = 200;
  }
  s.end_ns = t;
  const std::string path = route == "/items/{id}" ? "/items/" + std::to_string(rng_() % 5000)
                           : route == "/products/{id}"
                               ? "/products/" + std::to_string(rng_() % 5000)
                               : route;
  s.attributes = {attr("http.request.method", method),
                  attr("http.route", route),
                  attr("url.path", path),
                  attr("url.scheme", "http"),
                  attr("server.address", service),
                  int_attr("server.port", 8080),
                  int_attr("http.response.status_code", *status)};
  auto [etype, emsg] = exception_of(service);
  if (*status >= 500) {
    s.status_code = storage::SpanStatusCode::kError;
    if (own_failure) add_exception(&s, t, etype, emsg);
  }

  const double ms = static_cast<double>(t - start_ns) / kNsPerMs;
  LogRecord log;
  log.time_ns = t;
  log.trace_id = s.trace_id;
  log.span_id = s.span_id;
  log.attributes = {{"http.request.method", method},
                    {"http.route", route},
                    {"http.response.status_code", std::to_string(*status)}};
  log.body = method + " " + path + " " + std::to_string(*status) + " " + format_ms(ms);
  if (*status >= 500) {
    log.severity_number = kSeverityError;
    log.severity_text = "ERROR";
    log.body += own_failure ? ": " + etype + ": " + emsg
                : db_failed ? ": database or queue call failed"
                            : ": upstream returned " + std::to_string(child);
  } else if (ms > 1000) {
    log.severity_number = kSeverityWarn;
    log.severity_text = "WARN";
    log.body += ": slow request";
  }
  ServiceTelemetry& out = sink(c.out, service);
  out.logs.push_back(std::move(log));
  out.spans.push_back(std::move(s));
  ++spans_;
  busy_seconds_[service] += own_ms / 1000.0;
  record_request(service, method, route, *status, ms / 1000.0);
  return t;
}

void Shop::simulate(int64_t from_ms, int64_t to_ms, Telemetry* out) {
  if (start_ms_ < 0) {
    start_ms_ = from_ms;
    busy_window_start_ms_ = from_ms;
  }
  std::exponential_distribution<double> gap(opts_.rps > 0 ? opts_.rps : 1e-9);
  if (next_arrival_ns_ < 0) {
    next_arrival_ns_ = from_ms * kNsPerMs + static_cast<int64_t>(gap(rng_) * 1e9);
  }
  while (opts_.rps > 0 && next_arrival_ns_ < to_ms * kNsPerMs) {
    Call c;
    c.t_ms = next_arrival_ns_ / kNsPerMs;
    c.out = out;
    // X-Ray compatible: the first 4 bytes are the request's Unix seconds.
    c.trace_id = random_id(16);
    const uint32_t secs = static_cast<uint32_t>(c.t_ms / 1000);
    for (int i = 0; i < 4; ++i) c.trace_id[i] = static_cast<char>(secs >> (24 - 8 * i));
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    const std::string route = u < 0.55 ? "/products" : u < 0.70 ? "/products/{id}" : "/checkout";
    int status = 0;
    server_hop(c, "frontend", route == "/checkout" ? "POST" : "GET", route, "", next_arrival_ns_,
               &status);
    ++requests_;
    next_arrival_ns_ += std::max<int64_t>(1, static_cast<int64_t>(gap(rng_) * 1e9));
  }
  // The queue's consumer drains ~1.5x the usual publish rate, a fifth of it under a fault.
  const double seconds = static_cast<double>(to_ms - from_ms) / 1000.0;
  double drain = opts_.rps * 0.30 * 1.5 * seconds;
  if (fault(FaultKind::kLatency, "queue", from_ms) || fault(FaultKind::kCpu, "queue", from_ms)) {
    drain *= 0.2;
  }
  queue_depth_ = std::max(0.0, queue_depth_ - drain);
}

void Shop::metrics(int64_t t_ms, Telemetry* out) {
  if (start_ms_ < 0) start_ms_ = busy_window_start_ms_ = t_ms;
  const int64_t start_ns = start_ms_ * kNsPerMs;
  const int64_t t_ns = t_ms * kNsPerMs;
  auto point = [&](const std::string& name, const std::string& unit, const std::string& desc,
                   MetricPoint::Type type, double value) {
    MetricPoint p;
    p.name = name;
    p.unit = unit;
    p.description = desc;
    p.type = type;
    p.start_ns = start_ns;
    p.time_ns = t_ns;
    p.value = value;
    return p;
  };
  for (const auto& [key, h] : histograms_) {
    const auto& [service, method, route, status] = key;
    MetricPoint p = point("http.server.request.duration", "s", "Duration of HTTP server requests.",
                          MetricPoint::Type::kHistogram, 0);
    p.attributes = {{"http.request.method", method},
                    {"http.route", route},
                    {"http.response.status_code", std::to_string(status)}};
    p.bounds = kDurationBounds;
    p.bucket_counts = h.counts;
    p.count = h.count;
    p.sum = h.sum;
    sink(out, service).metrics.push_back(std::move(p));
  }
  // CPU: the share of two cores busy with the work done since the last call, plus a floor.
  const double window_s = std::max(1.0, static_cast<double>(t_ms - busy_window_start_ms_) / 1000);
  std::normal_distribution<double> jitter(0.0, 0.01);
  const std::vector<std::string> services = {"frontend", "checkout", "payment", "inventory",
                                             "orders-db"};
  for (const std::string& svc : services) {
    const std::string target = svc == "orders-db" ? "db" : svc;
    double cpu = 0.04 + busy_seconds_[svc] / (2 * window_s) + jitter(rng_);
    if (fault(FaultKind::kCpu, target, t_ms)) cpu = 0.95 + jitter(rng_);
    cpu = std::clamp(cpu, 0.0, 1.0);
    sink(out, svc).metrics.push_back(point("process.cpu.utilization", "1",
                                           "Difference in process.cpu.time since the last "
                                           "measurement, divided by the elapsed time and cores.",
                                           MetricPoint::Type::kGauge, cpu));
    const double base_mb = svc == "orders-db" ? 900 : svc == "payment" ? 260 : 180;
    const double hours = static_cast<double>(t_ms - start_ms_) / 3'600'000.0;
    const double mem = (base_mb + 20 * std::sin(hours * 2 * M_PI / 6)) * 1024 * 1024;
    sink(out, svc).metrics.push_back(point("process.memory.usage", "By",
                                           "The amount of physical memory in use.",
                                           MetricPoint::Type::kGauge, std::round(mem)));
    busy_seconds_[svc] = 0;
  }
  busy_window_start_ms_ = t_ms;
  sink(out, "orders-db")
      .metrics.push_back(point("db.client.operations", "{operation}",
                               "Queries executed by the database.", MetricPoint::Type::kCounter,
                               static_cast<double>(db_operations_)));
  sink(out, "orders-queue")
      .metrics.push_back(point("messaging.queue.depth", "{message}",
                               "Messages waiting in the orders queue.", MetricPoint::Type::kGauge,
                               std::round(queue_depth_)));
  sink(out, "orders-queue")
      .metrics.push_back(point("messaging.published", "{message}",
                               "Messages published to the orders queue.",
                               MetricPoint::Type::kCounter, static_cast<double>(published_)));
}

}  // namespace opsight::demo
