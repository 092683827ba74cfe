#pragma once
// The server configuration: a YAML file (--config) overridden by flags. Every field has a
// default that suits `make run` on a laptop; docs/configuration.md lists them all.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth_gate.h"
#include "api/http/server.h"
#include "collect/scrape_config.h"
#include "common/status.h"
#include "ingest/logs/log_batch.h"
#include "ingest/metric_batch.h"
#include "ingest/traces/otlp_traces_model.h"
#include "server/aiops_config.h"
#include "storage/metric_store.h"

namespace opsight::server {

struct MetricsStorageConfig {
  int64_t retention_ms = 15LL * 86'400'000;
  int64_t block_range_ms = 2LL * 3'600'000;
  int64_t out_of_order_window_ms = 14LL * 86'400'000;
  int64_t future_window_ms = 2LL * 3'600'000;
  int64_t head_flush_interval_ms = 2LL * 3'600'000;
  uint64_t head_max_bytes = 256ull << 20;
  size_t max_exemplars = 100'000;  // in memory, the newest kept (Prometheus's default)
};

// The embedded log store and its queries (config `logs:`).
struct LogsConfig {
  uint64_t head_max_bytes = 256ull << 20;
  int64_t head_flush_age_ms = 10LL * 60'000;
  uint64_t block_target_bytes = 16ull << 20;
  int flush_zstd_level = 6;
  int compact_zstd_level = 9;
  ingest::LogLimits limits;
  size_t max_queries = 30;  // running + scheduled Logs Insights queries
  int64_t query_deadline_ms = 15LL * 60'000;
  uint64_t max_bytes_scanned = 100ull << 30;  // per query
  size_t max_rows = 10'000;
};

// The embedded trace store and OTLP trace ingest (config `traces:`).
struct TracesConfig {
  int retention_days = 30;  // default per tenant (X-Ray's fixed retention)
  uint64_t head_max_bytes = 256ull << 20;
  int64_t head_flush_age_ms = 10LL * 60'000;
  size_t block_max_spans = 100'000;
  int zstd_level = 6;
  ingest::traces::TraceLimits limits;
  // Span-derived metrics (apm/span_metrics.h) written at ingest; series beyond the bound are
  // folded into operation="other".
  bool span_metrics = true;
  size_t span_metrics_max_series = 10'000;
  int64_t span_metrics_interval_ms = 5'000;  // how often the counters are written
};

// PromQL queries over the Prometheus API (config `promql:`).
struct PromqlConfig {
  int64_t lookback_delta_ms = 5 * 60'000;
  int64_t timeout_ms = 2 * 60'000;
  size_t max_samples = 50'000'000;
  size_t max_series = 0;  // per selector; 0 = no limit
  size_t max_concurrent = 20;
};

// Alarms (config `alarms:`, docs/alarms.md): state and history live in <data>/alarms.db.
struct AlarmsConfig {
  int64_t history_retention_ms = 30LL * 86'400'000;  // DescribeAlarmHistory items kept
  int64_t evaluation_delay_ms = 0;  // evaluate a period this long after it ends (late samples)
};

// Syslog receivers (config `syslog:`), off unless an address is given.
struct SyslogConfig {
  std::string udp_listen;  // e.g. "127.0.0.1:5514"
  std::string tcp_listen;
  size_t max_connections = 64;
};

// The X-Ray daemon (config `xray:`): UDP segments and the TCP sampling proxy on one port.
// "" turns it off. When the default address is taken the server starts without it (a warning);
// an address given in the config must be free.
inline constexpr std::string_view kDefaultXrayListen = "127.0.0.1:2000";
struct XrayConfig {
  std::string listen{kDefaultXrayListen};
  size_t max_connections = 64;
};

// OTLP/gRPC (config `otlp_grpc:`): traces, metrics and logs over gRPC, translated onto the
// OTLP/HTTP handlers (same decoders and limits; messages up to http.max_body_bytes). "" turns it
// off. When the default address is taken the server starts without it (a warning); an address
// given in the config must be free.
inline constexpr std::string_view kDefaultOtlpGrpcListen = "127.0.0.1:4317";
struct OtlpGrpcConfig {
  std::string listen{kDefaultOtlpGrpcListen};
  int workers = 8;
  size_t max_queued_requests = 256;
  size_t max_connections = 1024;
  uint32_t max_concurrent_streams = 100;
  int64_t idle_timeout_ms = 300'000;
};

struct WalConfig {
  bool fsync = true;  // sync: fsync (default) | interval
  int64_t sync_interval_ms = 1000;
};

// Settings shared by the collectors and rules (config `global:`).
struct GlobalConfig {
  int64_t evaluation_interval_ms = 60'000;  // rule groups without their own interval
  // Added to alerts sent to webhooks (when absent) and visible as $externalLabels in templates.
  std::vector<std::pair<std::string, std::string>> external_labels;
};

// One receiver of alert notifications, in the Alertmanager webhook format.
struct WebhookReceiverConfig {
  std::string name = "webhook";  // the "receiver" field of the payload
  std::string url;
  int64_t timeout_ms = 10'000;
  bool send_resolved = true;
  size_t max_alerts = 0;  // per message; 0 = all
};

// Config `alerting:`.
struct AlertingConfig {
  std::vector<WebhookReceiverConfig> webhooks;
  int64_t resend_delay_ms = 60'000;  // firing alerts are resent this often
  size_t queue_capacity = 10'000;    // alerts waiting to be sent; the oldest are dropped
};

// Pushgateway-style push (config `push:`).
struct PushConfig {
  int64_t interval_ms = 15'000;  // every pushed series is written again this often
  size_t max_groups = 10'000;
};

struct ServerConfig {
  std::string data_dir = "./data";
  std::string log_level = "info";
  // Authentication (docs/auth.md): none (every request acts for the default account; only on
  // loopback listeners, see check_auth_listeners) or sigv4 (AWS Signature Version 4 with keys
  // from `opsight keys create`).
  api::AuthMode auth = api::AuthMode::kNone;
  // The server's one AWS region: the tenant region of every request and of the ARNs it builds.
  std::string region{storage::kDefaultRegion};
  api::HttpServerOptions http;
  WalConfig wal;
  MetricsStorageConfig metrics;
  LogsConfig logs;
  SyslogConfig syslog;
  XrayConfig xray;
  OtlpGrpcConfig otlp_grpc;
  PromqlConfig promql;
  AlarmsConfig alarms;
  AiopsConfig aiops;  // events, incidents, investigations, watchers, runbooks, summarizer
  TracesConfig traces;
  ingest::Limits limits;
  int64_t shutdown_drain_ms = 10'000;
  GlobalConfig global;
  // Prometheus rule files (paths or globs, relative to config_dir).
  std::vector<std::string> rule_files;
  AlertingConfig alerting;
  // Scraping: `scrape_configs:` and global.scrape_interval / global.scrape_timeout.
  collect::ScrapeSettings scrape;
  PushConfig push;
  // The URL users reach opsight at (alert generatorURLs, $externalURL).
  std::string external_url;
  // Directory of the config file (set by load_config_file); "" = the working directory.
  std::string config_dir;
};

// Parses YAML text into *cfg (fields absent from the text keep their current values).
// Unknown keys are errors naming the key, so a typo never silently does nothing.
Status parse_config_yaml(std::string_view yaml, ServerConfig* cfg);
Status load_config_file(const std::string& path, ServerConfig* cfg);

// With `auth: none`, every listener (http.listen, otlp_grpc.listen, xray.listen,
// syslog.udp_listen, syslog.tcp_listen) must be on a loopback address: otherwise
// FailedPrecondition naming the setting, the address and the two fixes. Also checks `region`.
Status check_auth_listeners(const ServerConfig& cfg);

// Byte sizes as users write them: "64MiB", "1GB", "512KiB", "1048576".
Result<uint64_t> parse_bytes(std::string_view s);

}  // namespace opsight::server
