#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "common/time_util.h"
#include "net/listen_address.h"
#include "server/respond_config.h"

namespace opsight::server {

Result<uint64_t> parse_bytes(std::string_view s) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p == s.data()) {
    return Status::invalid_argument("invalid size \"" + std::string(s) + "\" (e.g. 64MiB)");
  }
  std::string_view unit = s.substr(static_cast<size_t>(p - s.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  static const std::map<std::string_view, uint64_t> kUnits = {{"", 1},
                                                              {"B", 1},
                                                              {"KB", 1000},
                                                              {"MB", 1000'000},
                                                              {"GB", 1000'000'000},
                                                              {"KiB", 1ull << 10},
                                                              {"MiB", 1ull << 20},
                                                              {"GiB", 1ull << 30},
                                                              {"K", 1ull << 10},
                                                              {"M", 1ull << 20},
                                                              {"G", 1ull << 30}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) {
    return Status::invalid_argument("invalid size unit in \"" + std::string(s) +
                                    "\" (use B, KiB, MiB, GiB, KB, MB, GB)");
  }
  return n * it->second;
}

namespace {

// Walks a YAML mapping: known keys run their setter, unknown keys are errors.
using Setter = std::function<Status(const YAML::Node&, const std::string& path)>;

Status walk(const YAML::Node& node, const std::string& path,
            const std::map<std::string, Setter>& setters) {
  if (!node.IsMap()) return Status::invalid_argument("config: " + path + " must be a mapping");
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    std::string full = path.empty() ? key : path + "." + key;
    auto it = setters.find(key);
    if (it == setters.end())
      return Status::invalid_argument("config: unknown key \"" + full + "\"");
    RETURN_IF_ERROR(it->second(kv.second, full));
  }
  return OkStatus();
}

Setter str(std::string* out) {
  return [out](const YAML::Node& n, const std::string&) {
    *out = n.as<std::string>();
    return OkStatus();
  };
}
Setter duration(int64_t* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    auto d = parse_duration_ms(n.as<std::string>());
    if (!d.ok()) return d.status().with_prefix("config: " + path);
    *out = *d;
    return OkStatus();
  };
}
template <typename T>
Setter size(T* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    auto b = parse_bytes(n.as<std::string>());
    if (!b.ok()) return b.status().with_prefix("config: " + path);
    *out = static_cast<T>(*b);
    return OkStatus();
  };
}
template <typename T>
Setter integer(T* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    try {
      *out = n.as<T>();
    } catch (const YAML::Exception&) {
      return Status::invalid_argument("config: " + path + " must be a whole number");
    }
    return OkStatus();
  };
}
Setter nested(std::map<std::string, Setter> setters) {
  return [setters = std::move(setters)](const YAML::Node& n, const std::string& path) {
    return walk(n, path, setters);
  };
}
Setter boolean(bool* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    try {
      *out = n.as<bool>();
    } catch (const YAML::Exception&) {
      return Status::invalid_argument("config: " + path + " must be true or false");
    }
    return OkStatus();
  };
}
Setter string_list(std::vector<std::string>* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsSequence()) return Status::invalid_argument("config: " + path + " must be a list");
    out->clear();
    for (const auto& v : n) out->push_back(v.as<std::string>());
    return OkStatus();
  };
}
Setter string_map(std::vector<std::pair<std::string, std::string>>* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) return Status::invalid_argument("config: " + path + " must be a mapping");
    out->clear();
    for (const auto& kv : n)
      out->emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
    return OkStatus();
  };
}
// alerting.webhooks: a list of {name, url, timeout, send_resolved, max_alerts}.
Setter webhooks(std::vector<WebhookReceiverConfig>* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsSequence()) return Status::invalid_argument("config: " + path + " must be a list");
    out->clear();
    for (size_t i = 0; i < n.size(); i++) {
      WebhookReceiverConfig w;
      std::string item = path + "[" + std::to_string(i) + "]";
      RETURN_IF_ERROR(walk(n[i], item,
                           {{"name", str(&w.name)},
                            {"url", str(&w.url)},
                            {"timeout", duration(&w.timeout_ms)},
                            {"send_resolved", boolean(&w.send_resolved)},
                            {"max_alerts", integer(&w.max_alerts)}}));
      if (!w.url.starts_with("http://")) {
        return Status::invalid_argument("config: " + item + ".url must be an http:// URL, got \"" +
                                        w.url + "\"");
      }
      out->push_back(std::move(w));
    }
    return OkStatus();
  };
}

// incidents.notify, runbooks and summarizer are read by parse_respond_config (respond_config.h)
// after the walk; the walk only accepts them.
Setter respond_section() {
  return [](const YAML::Node&, const std::string&) { return OkStatus(); };
}

}  // namespace

Status parse_config_yaml(std::string_view yaml, ServerConfig* cfg) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(std::string("config: invalid YAML: ") + e.what());
  }
  if (root.IsNull()) return OkStatus();
  std::map<std::string, Setter> setters = {
      {"data_dir", str(&cfg->data_dir)},
      {"log_level", str(&cfg->log_level)},
      {"auth",
       [cfg](const YAML::Node& n, const std::string& path) {
         auto mode = api::parse_auth_mode(n.as<std::string>());
         if (!mode.ok()) return mode.status().with_prefix("config: " + path);
         cfg->auth = *mode;
         return OkStatus();
       }},
      {"region", str(&cfg->region)},
      {"shutdown_drain", duration(&cfg->shutdown_drain_ms)},
      {"http", nested({{"listen", str(&cfg->http.listen)},
                       {"workers", integer(&cfg->http.workers)},
                       {"io_threads", integer(&cfg->http.io_threads)},
                       {"max_queued_requests", integer(&cfg->http.max_queued_requests)},
                       {"max_connections", integer(&cfg->http.max_connections)},
                       {"max_body_bytes", size(&cfg->http.max_body_bytes)},
                       {"idle_timeout", duration(&cfg->http.idle_timeout_ms)}})},
      {"wal", nested({{"sync",
                       [cfg](const YAML::Node& n, const std::string& path) {
                         std::string v = n.as<std::string>();
                         if (v != "fsync" && v != "interval") {
                           return Status::invalid_argument("config: " + path +
                                                           " must be fsync or interval");
                         }
                         cfg->wal.fsync = v == "fsync";
                         return OkStatus();
                       }},
                      {"sync_interval", duration(&cfg->wal.sync_interval_ms)}})},
      {"metrics", nested({{"retention", duration(&cfg->metrics.retention_ms)},
                          {"block_range", duration(&cfg->metrics.block_range_ms)},
                          {"out_of_order_window", duration(&cfg->metrics.out_of_order_window_ms)},
                          {"future_window", duration(&cfg->metrics.future_window_ms)},
                          {"head_flush_interval", duration(&cfg->metrics.head_flush_interval_ms)},
                          {"head_max_bytes", size(&cfg->metrics.head_max_bytes)},
                          {"max_exemplars", integer(&cfg->metrics.max_exemplars)}})},
      {"logs",
       nested({{"head_max_bytes", size(&cfg->logs.head_max_bytes)},
               {"head_flush_age", duration(&cfg->logs.head_flush_age_ms)},
               {"block_target_bytes", size(&cfg->logs.block_target_bytes)},
               {"flush_zstd_level", integer(&cfg->logs.flush_zstd_level)},
               {"compact_zstd_level", integer(&cfg->logs.compact_zstd_level)},
               {"max_queries", integer(&cfg->logs.max_queries)},
               {"query_deadline", duration(&cfg->logs.query_deadline_ms)},
               {"max_bytes_scanned", size(&cfg->logs.max_bytes_scanned)},
               {"max_rows", integer(&cfg->logs.max_rows)},
               {"limits", nested({{"max_request_bytes", size(&cfg->logs.limits.max_request_bytes)},
                                  {"max_events_per_request",
                                   integer(&cfg->logs.limits.max_events_per_request)},
                                  {"max_message_bytes", size(&cfg->logs.limits.max_message_bytes)},
                                  {"max_attributes_per_event",
                                   integer(&cfg->logs.limits.max_attributes_per_event)}})}})},
      {"traces",
       nested({{"retention_days", integer(&cfg->traces.retention_days)},
               {"head_max_bytes", size(&cfg->traces.head_max_bytes)},
               {"head_flush_age", duration(&cfg->traces.head_flush_age_ms)},
               {"block_max_spans", integer(&cfg->traces.block_max_spans)},
               {"zstd_level", integer(&cfg->traces.zstd_level)},
               {"span_metrics", boolean(&cfg->traces.span_metrics)},
               {"span_metrics_max_series", integer(&cfg->traces.span_metrics_max_series)},
               {"span_metrics_interval", duration(&cfg->traces.span_metrics_interval_ms)},
               {"limits",
                nested({{"max_request_bytes", size(&cfg->traces.limits.max_request_bytes)},
                        {"max_spans_per_request", integer(&cfg->traces.limits.max_spans_per_request)},
                        {"max_attributes_per_span",
                         integer(&cfg->traces.limits.max_attributes_per_span)},
                        {"max_attribute_bytes", size(&cfg->traces.limits.max_attribute_bytes)},
                        {"max_events_per_span", integer(&cfg->traces.limits.max_events_per_span)},
                        {"max_links_per_span", integer(&cfg->traces.limits.max_links_per_span)}})}})},
      {"promql", nested({{"lookback_delta", duration(&cfg->promql.lookback_delta_ms)},
                         {"timeout", duration(&cfg->promql.timeout_ms)},
                         {"max_samples", integer(&cfg->promql.max_samples)},
                         {"max_series", integer(&cfg->promql.max_series)},
                         {"max_concurrent_queries", integer(&cfg->promql.max_concurrent)}})},
      {"alarms", nested({{"history_retention", duration(&cfg->alarms.history_retention_ms)},
                         {"evaluation_delay", duration(&cfg->alarms.evaluation_delay_ms)}})},
      {"global", nested({{"evaluation_interval", duration(&cfg->global.evaluation_interval_ms)},
                         {"external_labels", string_map(&cfg->global.external_labels)},
                         {"scrape_interval", duration(&cfg->scrape.global.scrape_interval_ms)},
                         {"scrape_timeout", duration(&cfg->scrape.global.scrape_timeout_ms)}})},
      {"scrape_configs",
       [cfg](const YAML::Node& n, const std::string&) {
         return collect::parse_scrape_configs_yaml(YAML::Dump(n), &cfg->scrape.scrape_configs);
       }},
      {"push", nested({{"interval", duration(&cfg->push.interval_ms)},
                       {"max_groups", integer(&cfg->push.max_groups)}})},
      {"rule_files", string_list(&cfg->rule_files)},
      {"external_url", str(&cfg->external_url)},
      {"alerting", nested({{"webhooks", webhooks(&cfg->alerting.webhooks)},
                           {"resend_delay", duration(&cfg->alerting.resend_delay_ms)},
                           {"queue_capacity", integer(&cfg->alerting.queue_capacity)}})},
      {"xray", nested({{"listen", str(&cfg->xray.listen)},
                       {"max_connections", integer(&cfg->xray.max_connections)}})},
      {"otlp_grpc",
       nested({{"listen", str(&cfg->otlp_grpc.listen)},
               {"workers", integer(&cfg->otlp_grpc.workers)},
               {"max_queued_requests", integer(&cfg->otlp_grpc.max_queued_requests)},
               {"max_connections", integer(&cfg->otlp_grpc.max_connections)},
               {"max_concurrent_streams", integer(&cfg->otlp_grpc.max_concurrent_streams)},
               {"idle_timeout", duration(&cfg->otlp_grpc.idle_timeout_ms)}})},
      {"syslog", nested({{"udp_listen", str(&cfg->syslog.udp_listen)},
                         {"tcp_listen", str(&cfg->syslog.tcp_listen)},
                         {"max_connections", integer(&cfg->syslog.max_connections)}})},
      {"events", nested({{"retention", duration(&cfg->aiops.events_retention_ms)}})},
      {"incidents", nested({{"window", duration(&cfg->aiops.correlation.window_ms)},
                            {"max_hops", integer(&cfg->aiops.correlation.max_hops)},
                            {"quiet_period", duration(&cfg->aiops.incident_quiet_period_ms)},
                            {"retention", duration(&cfg->aiops.incident_retention_ms)},
                            {"notify", respond_section()}})},
      {"investigations",
       nested({{"retention", duration(&cfg->aiops.investigation_retention_ms)},
               {"deadline", duration(&cfg->aiops.investigation_deadline_ms)},
               {"max_spans", integer(&cfg->aiops.investigation_max_spans)}})},
      {"watchers", nested({{"red", boolean(&cfg->aiops.watch_red)},
                           {"logs", boolean(&cfg->aiops.watch_logs)},
                           {"interval", duration(&cfg->aiops.watch_interval_ms)}})},
      {"runbooks", respond_section()},
      {"summarizer", respond_section()},
      {"limits", nested({{"max_request_bytes", size(&cfg->limits.max_request_bytes)},
                         {"max_decoded_bytes", size(&cfg->limits.max_decoded_bytes)},
                         {"max_series_per_request", integer(&cfg->limits.max_series_per_request)},
                         {"max_samples_per_request", integer(&cfg->limits.max_samples_per_request)},
                         {"max_labels_per_series", integer(&cfg->limits.max_labels_per_series)},
                         {"max_label_name_length", integer(&cfg->limits.max_label_name_length)},
                         {"max_label_value_length", integer(&cfg->limits.max_label_value_length)},
                         {"max_dimensions", integer(&cfg->limits.max_dimensions)}})},
  };
  try {
    RETURN_IF_ERROR(walk(root, "", setters));
    ASSIGN_OR_RETURN(cfg->aiops.respond, parse_respond_config(root));
    return collect::validate_scrape_settings(cfg->scrape);
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(std::string("config: ") + e.what());
  }
}

namespace {

// True for 127.0.0.0/8, ::1 and localhost.
bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace

Status check_auth_listeners(const ServerConfig& cfg) {
  if (cfg.region.empty() || cfg.region.size() > 64 ||
      cfg.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return Status::invalid_argument("config: region \"" + cfg.region +
                                    "\" must be 1 to 64 of a-z, 0-9 and - (e.g. us-east-1)");
  }
  if (cfg.auth != api::AuthMode::kNone) return OkStatus();
  const std::pair<std::string_view, const std::string*> listeners[] = {
      {"http.listen", &cfg.http.listen},
      {"otlp_grpc.listen", &cfg.otlp_grpc.listen},
      {"xray.listen", &cfg.xray.listen},
      {"syslog.udp_listen", &cfg.syslog.udp_listen},
      {"syslog.tcp_listen", &cfg.syslog.tcp_listen}};
  for (const auto& [key, address] : listeners) {
    if (address->empty()) continue;  // off
    auto hp = net::split_host_port(*address, key);
    if (!hp.ok()) return hp.status();
    if (is_loopback_host(hp->host)) continue;
    return Status::failed_precondition(
        "auth is none, but " + std::string(key) + " \"" + *address +
        "\" is not a loopback address: anyone who can reach it could read and write every "
        "account's data. Either listen on 127.0.0.1 (e.g. --http-listen 127.0.0.1:4318), or set "
        "`auth: sigv4` (--auth sigv4) and create keys with `opsight keys create` (docs/auth.md)");
  }
  return OkStatus();
}

Status load_config_file(const std::string& path, ServerConfig* cfg) {
  std::ifstream f(path);
  if (!f) return Status::not_found("cannot read config file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  cfg->config_dir = std::filesystem::absolute(path).parent_path().string();
  return parse_config_yaml(ss.str(), cfg);
}

}  // namespace opsight::server
