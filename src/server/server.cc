#include "server/server.h"

#include <malloc.h>
#include <pthread.h>
#include <algorithm>
#include <csignal>

#include "alarm/alarm_service.h"
#include "alarm/anomaly_detectors.h"
#include "alarm/metric_math_source.h"
#include "api/auth_gate.h"
#include "api/aws/cloudwatch/alarm_ops.h"
#include "api/aws/cloudwatch/aws_api.h"
#include "api/aws/cloudwatch/metric_ops.h"
#include "api/aws/cloudwatch/resource_ops.h"
#include "api/aws/logs/logs_aws_api.h"
#include "api/aws/logs/metric_filter_engine.h"
#include "api/aws/xray_api.h"
#include "api/grpc/grpc_server.h"
#include "api/http/server.h"
#include "api/native/alarms_api.h"
#include "api/native/logs_api.h"
#include "api/native/metrics_data_api.h"
#include "api/native/metrics_ingest_api.h"
#include "api/native/metrics_query_api.h"
#include "api/native/trace_query_api.h"
#include "api/native/traces_api.h"
#include "api/prom/push_api.h"
#include "api/prom/query_api.h"
#include "api/prom/rules_api.h"
#include "api/prom/series_api.h"
#include "api/prom/status_api.h"
#include "api/prom/targets_api.h"
#include "apm/span_metrics.h"
#include "auth/key_store.h"
#include "collect/push_registry.h"
#include "collect/scrape_manager.h"
#include "common/background_worker.h"
#include "common/env.h"
#include "common/json_writer.h"
#include "common/logging.h"
#include "common/self_metrics.h"
#include "query/insights/query_service.h"
#include "resources/account_links.h"
#include "resources/dashboards.h"
#include "rules/manager.h"
#include "rules/notifier.h"
#include "server/aiops_services.h"
#include "server/anomaly_bands.h"
#include "server/process_metrics.h"
#include "server/syslog_listener.h"
#include "server/xray_listener.h"
#include "storage/logstore/store.h"
#include "storage/meta/meta_store.h"
#include "storage/tracestore/store.h"
#include "storage/tsdb/db.h"

namespace opsight::server {
namespace {

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(ServerConfig cfg) : cfg_(std::move(cfg)) {}
  ~ServerImpl() override { (void)shutdown(); }

  Status start() {
    RETURN_IF_ERROR(check_auth_listeners(cfg_));
    Env* env = Env::posix();
    RETURN_IF_ERROR(env->create_dirs(cfg_.data_dir));
    ASSIGN_OR_RETURN(lock_, env->lock_file(join_path(cfg_.data_dir, "LOCK")));

    storage::tsdb::Options o;
    o.dir = join_path(cfg_.data_dir, "metrics");
    o.wal_sync =
        cfg_.wal.fsync ? storage::wal::SyncPolicy::kFsync : storage::wal::SyncPolicy::kInterval;
    o.wal_sync_interval_ms = cfg_.wal.sync_interval_ms;
    o.retention_ms = cfg_.metrics.retention_ms;
    o.block_range_ms = cfg_.metrics.block_range_ms;
    o.out_of_order_window_ms = cfg_.metrics.out_of_order_window_ms;
    o.future_window_ms = cfg_.metrics.future_window_ms;
    o.head_flush_interval_ms = cfg_.metrics.head_flush_interval_ms;
    o.head_max_bytes = cfg_.metrics.head_max_bytes;
    o.max_exemplars = cfg_.metrics.max_exemplars;
    auto t0 = Clock::real()->mono_ns();
    ASSIGN_OR_RETURN(metrics_, storage::tsdb::Db::open(o));
    log::info("metrics store open in {} ms ({} series)",
              (Clock::real()->mono_ns() - t0) / 1'000'000, metrics_->stats().num_series);

    storage::logstore::Options lo;
    lo.dir = join_path(cfg_.data_dir, "logs");
    lo.wal_sync = o.wal_sync;
    lo.wal_sync_interval_ms = o.wal_sync_interval_ms;
    lo.head_max_bytes = cfg_.logs.head_max_bytes;
    lo.head_flush_age_ms = cfg_.logs.head_flush_age_ms;
    lo.block_target_bytes = cfg_.logs.block_target_bytes;
    lo.flush_zstd_level = cfg_.logs.flush_zstd_level;
    lo.compact_zstd_level = cfg_.logs.compact_zstd_level;
    t0 = Clock::real()->mono_ns();
    ASSIGN_OR_RETURN(logs_, storage::logstore::Store::open(lo));
    RETURN_IF_ERROR(open_traces(o.wal_sync, o.wal_sync_interval_ms));
    ASSIGN_OR_RETURN(
        meta_, storage::meta::MetaStore::open(join_path(cfg_.data_dir, "meta.db"), Clock::real()));
    sampling_ = std::make_unique<apm::xray::SamplingService>(meta_.get(), Clock::real());
    // CloudWatch Logs configuration in the meta store: metric filters (applied by every log
    // ingest path through the engine), saved Logs Insights queries; and resource tags.
    log_metric_filters_ =
        std::make_unique<resources::MetricFilterStore>(meta_.get(), Clock::real());
    metric_filter_engine_ =
        std::make_unique<api::aws::MetricFilterEngine>(log_metric_filters_.get());
    query_definitions_ = std::make_unique<resources::QueryDefinitionStore>(meta_.get());
    tags_ = std::make_unique<resources::TagStore>(meta_.get());
    RETURN_IF_ERROR(start_alarms());
    log::info("log store open in {} ms", (Clock::real()->mono_ns() - t0) / 1'000'000);
    query::insights::QueryServiceOptions qo;
    qo.max_queries = cfg_.logs.max_queries;
    qo.deadline_ms = cfg_.logs.query_deadline_ms;
    qo.max_bytes_scanned = cfg_.logs.max_bytes_scanned;
    qo.max_rows = std::max(qo.max_rows, cfg_.logs.max_rows);
    log_queries_ =
        std::make_unique<query::insights::LogQueryService>(logs_.get(), Clock::real(), qo);
    if (!cfg_.syslog.udp_listen.empty() || !cfg_.syslog.tcp_listen.empty()) {
      SyslogOptions so;
      so.udp_listen = cfg_.syslog.udp_listen;
      so.tcp_listen = cfg_.syslog.tcp_listen;
      so.max_connections = cfg_.syslog.max_connections;
      so.metrics = metrics_.get();
      so.metric_limits = cfg_.limits;
      so.metric_filters = metric_filter_engine_.get();
      ASSIGN_OR_RETURN(syslog_,
                       SyslogListener::start(so, logs_.get(), Clock::real(), cfg_.logs.limits));
    }

    RETURN_IF_ERROR(start_rules());
    RETURN_IF_ERROR(start_collect());

    register_process_metrics();
    build_routes();
    RETURN_IF_ERROR(start_auth());
    RETURN_IF_ERROR(start_xray());
    RETURN_IF_ERROR(start_otlp_grpc());
    ASSIGN_OR_RETURN(http_, api::HttpServer::start(cfg_.http, &router_));
    log::info("opsight listening on http://{}:{} (data in {})",
              cfg_.http.listen.substr(0, cfg_.http.listen.rfind(':')), http_->port(),
              cfg_.data_dir);
    aiops_->start();
    ready_ = true;
    return OkStatus();
  }

  uint16_t http_port() const override { return http_ ? http_->port() : 0; }

  Status reload() override {
    Status st = rules_ ? rules_->reload() : OkStatus();
    if (!st.ok()) log::error("reload: {}", st.message());
    return st;
  }

  Status shutdown() override {
    if (shut_) return OkStatus();
    shut_ = true;
    ready_ = false;
    if (http_) http_->stop(cfg_.shutdown_drain_ms);
    if (grpc_) grpc_->stop(cfg_.shutdown_drain_ms);  // before the stores close
    if (syslog_) syslog_->stop();
    if (xray_) xray_->stop();      // before the trace store closes
    if (scrape_) scrape_->stop();  // before the store closes: scrapes and pushes write to it
    if (push_) push_->stop();
    if (rules_) rules_->stop();    // before the store closes: evaluations write to it
    if (alarms_) alarms_->stop();  // before the store closes: evaluations read it
    if (aiops_) aiops_->stop();    // after the alarms (their sink feeds it), before the stores
    if (notifier_) notifier_->stop();
    log_queries_.reset();  // cancels running queries before the store closes
    if (span_metrics_writer_) span_metrics_writer_->stop();
    write_span_metrics();  // the counts since the last write, before the metrics store closes
    Status st;
    if (logs_) st = logs_->close();
    if (traces_) {
      Status t = traces_->close();
      if (st.ok()) st = t;
    }
    if (metrics_) {
      Status m = metrics_->close();
      if (st.ok()) st = m;
    }
    lock_.reset();
    return st;
  }

 private:
  // Installs the auth gate on the router (before any server starts); with sigv4, opens the key
  // store (creating <data>/auth.key on first use).
  Status start_auth() {
    api::AuthGateOptions ao;
    ao.mode = cfg_.auth;
    ao.region = cfg_.region;
    ao.clock = Clock::real();
    account_links_ = std::make_unique<resources::AccountLinks>(meta_.get());
    ao.links = account_links_.get();
    if (cfg_.auth == api::AuthMode::kSigV4) {
      ASSIGN_OR_RETURN(std::string master,
                       auth::load_or_create_master_key(
                           join_path(cfg_.data_dir, std::string(auth::kMasterKeyFileName))));
      ASSIGN_OR_RETURN(keys_, auth::KeyStore::open(meta_.get(), master, Clock::real()));
      ao.resolver = keys_->resolver();
    }
    auth_gate_ = std::make_unique<api::AuthGate>(std::move(ao));
    router_.set_gate([gate = auth_gate_.get()](api::HttpRequest& req) { return gate->check(req); });
    log::info("auth: {} (region {})", api::auth_mode_name(cfg_.auth), cfg_.region);
    return OkStatus();
  }

  Status open_traces(storage::wal::SyncPolicy sync, int64_t sync_interval_ms) {
    storage::tracestore::Options to;
    to.dir = join_path(cfg_.data_dir, "traces");
    to.wal_sync = sync;
    to.wal_sync_interval_ms = sync_interval_ms;
    to.head_max_bytes = cfg_.traces.head_max_bytes;
    to.head_flush_age_ms = cfg_.traces.head_flush_age_ms;
    to.block_max_spans = cfg_.traces.block_max_spans;
    to.zstd_level = cfg_.traces.zstd_level;
    to.default_retention_days = cfg_.traces.retention_days;
    const int64_t t0 = Clock::real()->mono_ns();
    ASSIGN_OR_RETURN(traces_, storage::tracestore::Store::open(to));
    log::info("trace store open in {} ms", (Clock::real()->mono_ns() - t0) / 1'000'000);
    return OkStatus();
  }

  // Metric Math with the anomaly model behind ANOMALY_DETECTION_BAND (anomaly/anomaly_band.h),
  // for GetMetricData and alarms alike; per tenant, bands skip the ExcludedTimeRanges of the
  // metric's anomaly detector (server/anomaly_bands.h).
  query::metricmath::MetricMathOptions metric_math_options() {
    return opsight::server::metric_math_options(anomaly_detectors_.get());
  }

  // Alarms: definitions in the meta store, state and history in <data>/alarms.db, data through
  // Metric Math over the metrics store; evaluated on a schedule.
  Status start_alarms() {
    anomaly_detectors_ = std::make_unique<alarm::AnomalyDetectorService>(
        meta_.get(), training_probe(metrics_.get(), Clock::real()));
    dashboards_ = std::make_unique<resources::DashboardService>(meta_.get());
    alarm::AlarmServiceOptions o;
    o.state_db_path = join_path(cfg_.data_dir, "alarms.db");
    o.data_source = alarm::metric_math_data_source(metrics_.get(), metric_math_options());
    o.history_retention_ms = cfg_.alarms.history_retention_ms;
    o.evaluation_delay_ms = cfg_.alarms.evaluation_delay_ms;
    RETURN_IF_ERROR(open_aiops());
    o.event_sink = aiops_->alarm_event_sink();
    ASSIGN_OR_RETURN(alarms_, alarm::AlarmService::open(meta_.get(), std::move(o)));
    aiops_->attach_dispatcher(&alarms_->dispatcher());  // before the dispatcher's thread starts
    alarms_->start();
    return OkStatus();
  }

  // Events, incidents, investigations, watchers and responses (server/aiops_services.h).
  Status open_aiops() {
    AiopsStores st;
    st.metrics = metrics_.get();
    st.logs = logs_.get();
    st.traces = traces_.get();
    st.data_dir = cfg_.data_dir;
    st.external_url = cfg_.external_url;
    st.tenants = [this] { return watched_tenants(); };
    ASSIGN_OR_RETURN(aiops_, AiopsServices::open(cfg_.aiops, std::move(st)));
    return OkStatus();
  }

  // The default account, and every account with an active access key, in the server's region.
  std::vector<storage::Tenant> watched_tenants() {
    storage::Tenant base;
    if (!cfg_.region.empty()) base.region = cfg_.region;
    std::vector<storage::Tenant> out{base};
    if (!keys_) return out;
    auto keys = keys_->list();
    if (!keys.ok()) return out;
    for (const auth::AccessKeyInfo& k : *keys) {
      if (k.status != auth::KeyStatus::kActive) continue;
      storage::Tenant t = base;
      t.account = k.account;
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
    }
    return out;
  }

  // What the X-Ray front ends share: the sampling service, the trace store, and span metrics
  // (as for OTLP).
  api::XrayApiDeps xray_deps() {
    return api::XrayApiDeps{sampling_.get(), traces_.get(), cfg_.traces.limits,
                            span_metrics_.get()};
  }

  // Span-derived metrics (OTLP and X-Ray alike), written on a timer; nothing when off.
  void start_span_metrics(Clock* clock) {
    if (!cfg_.traces.span_metrics) return;
    span_metrics_ = std::make_unique<apm::SpanMetrics>(
        apm::SpanMetricsOptions{cfg_.traces.span_metrics_max_series}, clock);
    span_metrics_writer_ = std::make_unique<BackgroundWorker>(
        std::chrono::milliseconds(std::max<int64_t>(1, cfg_.traces.span_metrics_interval_ms)),
        [this] { write_span_metrics(); });
  }

  void write_span_metrics() {
    if (!span_metrics_ || !metrics_) return;
    Status st = span_metrics_->write(metrics_.get());
    if (!st.ok()) log::warn("span metrics: {}", st.message());
  }

  // The X-Ray daemon (UDP segments, TCP sampling proxy). The default address being taken is a
  // warning (e.g. a real X-Ray daemon runs on this host); an address from the config must work.
  Status start_xray() {
    if (cfg_.xray.listen.empty()) return OkStatus();
    return keep_listener(
        XrayListener::start({cfg_.xray.listen, cfg_.xray.max_connections}, xray_deps()),
        cfg_.xray.listen, kDefaultXrayListen, "the X-Ray daemon", "xray.listen", &xray_);
  }

  // A listener that cannot bind its *default* address stays off with a warning (a real X-Ray
  // daemon or OpenTelemetry collector may own that port on this host); an address the
  // configuration names must work.
  template <typename T>
  static Status keep_listener(Result<std::unique_ptr<T>> started, const std::string& listen,
                              std::string_view default_listen, std::string_view what,
                              std::string_view key, std::unique_ptr<T>* out) {
    if (started.ok()) {
      *out = std::move(*started);
      return OkStatus();
    }
    if (listen != default_listen) return started.status();
    log::warn("{}; {} is off (set {} to use another address)", started.status().message(), what,
              key);
    return OkStatus();
  }

  // OTLP/gRPC on the router built above (same handlers and limits as OTLP/HTTP). The default
  // address being taken is a warning (e.g. a collector runs on this host); a configured one
  // must work.
  Status start_otlp_grpc() {
    if (cfg_.otlp_grpc.listen.empty()) return OkStatus();
    api::GrpcServerOptions o;
    o.listen = cfg_.otlp_grpc.listen;
    o.workers = cfg_.otlp_grpc.workers;
    o.max_queued_requests = cfg_.otlp_grpc.max_queued_requests;
    o.max_connections = cfg_.otlp_grpc.max_connections;
    o.max_concurrent_streams = cfg_.otlp_grpc.max_concurrent_streams;
    o.idle_timeout_ms = cfg_.otlp_grpc.idle_timeout_ms;
    o.max_message_bytes = cfg_.http.max_body_bytes;
    RETURN_IF_ERROR(keep_listener(api::GrpcServer::start(o, &router_), o.listen,
                                  kDefaultOtlpGrpcListen, "OTLP/gRPC", "otlp_grpc.listen", &grpc_));
    if (grpc_) {
      log::info("OTLP/gRPC listening on {}:{}", o.listen.substr(0, o.listen.rfind(':')),
                grpc_->port());
    }
    return OkStatus();
  }

  // Rule evaluation and the alert notifier. Invalid rule files fail start-up, as in Prometheus.
  Status start_rules() {
    rules::NotifierOptions no;
    for (const auto& w : cfg_.alerting.webhooks) {
      no.webhooks.push_back({w.name, w.url, w.timeout_ms, w.send_resolved, w.max_alerts});
    }
    std::vector<Label> external;
    for (const auto& [k, v] : cfg_.global.external_labels) external.push_back({k, v});
    no.external_labels = Labels(external);
    no.external_url = cfg_.external_url;
    no.queue_capacity = cfg_.alerting.queue_capacity;
    notifier_ = std::make_unique<rules::Notifier>(no);
    if (!no.webhooks.empty()) notifier_->start();

    rules::ManagerOptions mo;
    mo.store = metrics_.get();
    mo.engine.lookback_delta_ms = cfg_.promql.lookback_delta_ms;
    mo.engine.timeout_ms = cfg_.promql.timeout_ms;
    mo.engine.max_samples = cfg_.promql.max_samples;
    mo.engine.max_series = cfg_.promql.max_series;
    mo.engine.default_subquery_step_ms = cfg_.global.evaluation_interval_ms;
    mo.default_interval_ms = cfg_.global.evaluation_interval_ms;
    mo.external_labels = no.external_labels;
    mo.external_url = cfg_.external_url;
    mo.resend_delay_ms = cfg_.alerting.resend_delay_ms;
    mo.rule_files = cfg_.rule_files;
    mo.base_dir = cfg_.config_dir;
    mo.notifier = notifier_.get();
    rules_ = std::make_unique<rules::Manager>(mo);
    if (!cfg_.rule_files.empty()) RETURN_IF_ERROR(rules_->reload());
    return OkStatus();
  }

  // Scraping (scrape_configs) and Pushgateway-style push groups, persisted under data_dir/push.
  Status start_collect() {
    collect::PushOptions po;
    po.dir = join_path(cfg_.data_dir, "push");
    po.interval_ms = cfg_.push.interval_ms;
    po.max_groups = cfg_.push.max_groups;
    po.limits = cfg_.limits;
    ASSIGN_OR_RETURN(push_, collect::PushRegistry::open(po, metrics_.get(), Clock::real()));
    push_->start();
    collect::ScrapeManagerOptions so;
    so.limits = cfg_.limits;
    ASSIGN_OR_RETURN(scrape_,
                     collect::ScrapeManager::create(cfg_.scrape, so, metrics_.get(), Clock::real(),
                                                    collect::http_fetcher()));
    scrape_->start();
    if (scrape_->num_jobs() > 0) log::info("scraping {} jobs", scrape_->num_jobs());
    return OkStatus();
  }

  void build_routes() {
    Clock* clock = Clock::real();
    router_.add("GET", "/healthz",
                [](api::HttpRequest&) { return api::HttpResponse::text(200, "ok"); });
    router_.add("GET", "/readyz", [this](api::HttpRequest&) {
      return ready_ ? api::HttpResponse::text(200, "ready")
                    : api::HttpResponse::text(503, "not ready");
    });
    router_.add("GET", "/metrics", [this](api::HttpRequest&) {
      update_store_gauges();
      return api::HttpResponse{200,
                               "text/plain; version=0.0.4; charset=utf-8",
                               {},
                               metrics::Registry::global().expose()};
    });
    api::register_metrics_ingest_api(router_, api::IngestDeps{metrics_.get(), cfg_.limits, clock});
    api::QueryDeps q{metrics_.get(), clock, [this]() -> Result<std::string> {
                       RETURN_IF_ERROR(metrics_->flush());
                       RETURN_IF_ERROR(metrics_->compact());
                       auto s = metrics_->stats();
                       json::Writer w;
                       w.begin_object()
                           .kv("series", s.num_series)
                           .kv("blocks", s.num_blocks)
                           .kv("block_bytes", s.block_bytes)
                           .kv("block_samples", s.block_samples)
                           .kv("head_samples", s.head_samples)
                           .end_object();
                       return w.take();
                     }};
    api::register_metrics_query_api(router_, q);
    api::register_metrics_data_api(router_, q, metric_math_options());
    api::register_alarms_api(router_, api::AlarmsDeps{alarms_.get(), clock});
    aiops_->register_routes(router_);
    api::register_series_api(router_, metrics_.get(), clock);
    api::PromQueryDeps pq{metrics_.get(), clock, {}};
    pq.engine.lookback_delta_ms = cfg_.promql.lookback_delta_ms;
    pq.engine.timeout_ms = cfg_.promql.timeout_ms;
    pq.engine.max_samples = cfg_.promql.max_samples;
    pq.engine.max_series = cfg_.promql.max_series;
    pq.engine.clock = clock;
    pq.max_concurrent = cfg_.promql.max_concurrent;
    api::register_query_api(router_, pq);
    api::register_status_api(
        router_, api::PromStatusDeps{metrics_.get(), clock, [this] { return ready_.load(); },
                                     start_time_ms_, cfg_.metrics.retention_ms});
    api::register_push_api(router_, push_.get(), cfg_.limits);
    api::register_targets_api(router_, scrape_.get());
    api::register_rules_api(
        router_, api::RulesDeps{[this] { return rules_->groups(); }, [this] { return reload(); }});
    api::LogsDeps l;
    l.logs = logs_.get();
    l.metrics = metrics_.get();
    l.queries = log_queries_.get();
    l.log_limits = cfg_.logs.limits;
    l.metric_limits = cfg_.limits;
    l.clock = clock;
    l.metric_filters = metric_filter_engine_.get();
    api::register_logs_api(router_, l);
    // Before register_traces_api: GET /api/v1/traces/:id would take /api/v1/traces/search.
    api::register_trace_query_api(router_, api::TraceQueryDeps{traces_.get(), clock, {}, {}});
    start_span_metrics(clock);
    // The admin flush also writes the span metrics, so both are visible when it returns.
    auto flush = [this] {
      write_span_metrics();
      return traces_->flush();
    };
    api::register_traces_api(router_, api::TracesDeps{traces_.get(), cfg_.traces.limits, clock,
                                                      flush, span_metrics_.get()});
    api::register_xray_api(router_, xray_deps());
    // The AWS front end on POST / (CloudWatch awsQuery / JSON 1.0 / RPC v2 CBOR, CloudWatch Logs).
    api::aws::AwsApiDeps aws;
    aws.clock = clock;
    api::aws::add_cloudwatch_metric_ops(
        aws.cloudwatch,
        api::aws::MetricOpsDeps{metrics_.get(), cfg_.limits, metric_math_options()});
    api::aws::add_cloudwatch_alarm_ops(aws.cloudwatch,
                                       {alarms_.get(), anomaly_detectors_.get(), tags_.get()});
    api::aws::add_cloudwatch_resource_ops(aws.cloudwatch,
                                          {dashboards_.get(), tags_.get(), alarms_.get()});
    api::aws::LogsAwsDeps logs_aws{l, tags_.get(), log_metric_filters_.get(),
                                   query_definitions_.get()};
    aws.logs = [logs_aws](api::HttpRequest& r, std::string_view op) {
      return api::aws::handle_logs_request(logs_aws, r, op);
    };
    api::aws::register_aws_api(router_, aws);
    router_.add("POST", "/api/v1/logs/admin/flush", [this](api::HttpRequest&) {
      Status st = logs_->flush();
      if (st.ok()) st = logs_->compact();
      return st.ok() ? api::HttpResponse::json(200, "{}")
                     : api::HttpResponse::text(api::http_status_for(st.code()), st.message());
    });
  }

  void update_store_gauges() {
    auto s = metrics_->stats();
    auto& r = metrics::Registry::global();
    r.gauge("opsight_metrics_series", "Series in the metrics store")
        ->set(static_cast<double>(s.num_series));
    r.gauge("opsight_metrics_head_samples", "Samples in the in-memory head")
        ->set(static_cast<double>(s.head_samples));
    r.gauge("opsight_metrics_blocks", "Persisted metrics blocks")
        ->set(static_cast<double>(s.num_blocks));
    r.gauge("opsight_metrics_block_bytes", "Bytes of persisted metrics blocks")
        ->set(static_cast<double>(s.block_bytes));
  }

  ServerConfig cfg_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<storage::tsdb::Db> metrics_;
  std::unique_ptr<storage::logstore::Store> logs_;
  std::unique_ptr<storage::tracestore::Store> traces_;
  std::unique_ptr<apm::SpanMetrics> span_metrics_;
  std::unique_ptr<BackgroundWorker> span_metrics_writer_;  // span_metrics_->write on a timer
  std::unique_ptr<query::insights::LogQueryService> log_queries_;
  std::unique_ptr<SyslogListener> syslog_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<apm::xray::SamplingService> sampling_;
  std::unique_ptr<resources::MetricFilterStore> log_metric_filters_;
  // Used by syslog_ and the HTTP workers, both stopped by shutdown() first.
  std::unique_ptr<api::aws::MetricFilterEngine> metric_filter_engine_;
  std::unique_ptr<resources::QueryDefinitionStore> query_definitions_;
  std::unique_ptr<resources::TagStore> tags_;  // resource tags of every AWS front end
  // Before alarms_: its data source (band alarms) reads the detectors until it is destroyed.
  std::unique_ptr<alarm::AnomalyDetectorService> anomaly_detectors_;
  std::unique_ptr<resources::DashboardService> dashboards_;
  std::unique_ptr<alarm::AlarmService> alarms_;
  std::unique_ptr<AiopsServices> aiops_;  // after alarms_: destroyed before the dispatcher
  std::unique_ptr<XrayListener> xray_;
  std::unique_ptr<rules::Notifier> notifier_;
  std::unique_ptr<rules::Manager> rules_;
  std::unique_ptr<collect::PushRegistry> push_;
  std::unique_ptr<collect::ScrapeManager> scrape_;
  api::Router router_;
  std::unique_ptr<api::HttpServer> http_;
  std::unique_ptr<api::GrpcServer> grpc_;
  std::atomic<bool> ready_{false};
  // Authentication (api/auth_gate.h): the gate runs before the router for HTTP and OTLP/gRPC.
  std::unique_ptr<auth::KeyStore> keys_;
  std::unique_ptr<resources::AccountLinks> account_links_;
  std::unique_ptr<api::AuthGate> auth_gate_;
  const int64_t start_time_ms_ = Clock::real()->now_ms();
  bool shut_ = false;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::start(const ServerConfig& config) {
  auto s = std::make_unique<ServerImpl>(config);
  RETURN_IF_ERROR(s->start());
  return std::unique_ptr<Server>(std::move(s));
}

int run_serve(const ServerConfig& config) {
  // glibc gives each thread that contends for the heap its own arena (up to 8 per core); the
  // request workers would each keep one, fragmented and never returned. Two arenas keep the
  // resident set close to what is live at a negligible cost in lock contention.
  mallopt(M_ARENA_MAX, 2);
  // Block the shutdown signals in every thread (threads inherit the mask), then wait for them
  // synchronously here.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);  // reload the rule files
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto server = Server::start(config);
  if (!server.ok()) {
    log::error("cannot start: {}", server.status().to_string());
    return 1;
  }
  int sig = 0;
  while (true) {
    sigwait(&set, &sig);
    if (sig != SIGHUP) break;
    log::info("received SIGHUP, reloading rule files");
    if ((*server)->reload().ok()) log::info("reload complete");
  }
  log::info("received {}, draining and flushing", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  Status st = (*server)->shutdown();
  if (!st.ok()) {
    log::error("shutdown: {}", st.to_string());
    return 1;
  }
  log::info("shutdown complete");
  return 0;
}

}  // namespace opsight::server
