#include "collect/scrape_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <functional>
#include <map>
#include <set>

#include "common/time_util.h"

namespace opsight::collect {
namespace {

constexpr int64_t kDefaultInterval = 60'000;
constexpr int64_t kDefaultTimeout = 10'000;

using Setter = std::function<Status(const YAML::Node&, const std::string& path)>;

Status error(const std::string& path, std::string_view msg) {
  return Status::invalid_argument(fmt::format("config: {}: {}", path, msg));
}

// Prometheus keys opsight does not implement: a clear error instead of "unknown key".
const std::set<std::string, std::less<>>& unsupported_keys() {
  static const std::set<std::string, std::less<>> k = {"basic_auth",
                                                       "authorization",
                                                       "oauth2",
                                                       "tls_config",
                                                       "bearer_token",
                                                       "bearer_token_file",
                                                       "proxy_url",
                                                       "no_proxy",
                                                       "proxy_from_environment",
                                                       "proxy_connect_header",
                                                       "follow_redirects",
                                                       "enable_http2",
                                                       "native_histogram_bucket_limit",
                                                       "scrape_classic_histograms",
                                                       "keep_dropped_targets"};
  return k;
}

Status walk(const YAML::Node& node, const std::string& path,
            const std::map<std::string, Setter>& setters) {
  if (!node.IsMap()) return error(path, "must be a mapping");
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    std::string full = path + "." + key;
    auto it = setters.find(key);
    if (it != setters.end()) {
      RETURN_IF_ERROR(it->second(kv.second, full));
      continue;
    }
    if (unsupported_keys().contains(key)) {
      return error(full, "not supported by opsight yet (plain http scrapes only)");
    }
    if (key.ends_with("_sd_configs")) {
      return error(full,
                   "this service discovery is not supported; use static_configs or "
                   "file_sd_configs");
    }
    return Status::invalid_argument("config: unknown key \"" + full + "\"");
  }
  return OkStatus();
}

Setter str(std::string* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) return error(path, "must be a string");
    *out = n.as<std::string>();
    return OkStatus();
  };
}
Setter boolean(bool* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    try {
      *out = n.as<bool>();
    } catch (const YAML::Exception&) {
      return error(path, "must be true or false");
    }
    return OkStatus();
  };
}
Setter duration(int64_t* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) return error(path, "must be a duration such as 15s");
    auto d = parse_duration_ms(n.as<std::string>());
    if (!d.ok()) return error(path, d.status().message());
    if (*d <= 0) return error(path, "must be positive");
    *out = *d;
    return OkStatus();
  };
}
Setter uint(uint64_t* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    try {
      *out = n.as<uint64_t>();
    } catch (const YAML::Exception&) {
      return error(path, "must be a non-negative whole number");
    }
    return OkStatus();
  };
}
// Sizes as Prometheus reads them (base-2 units: 1KB = 1024 bytes).
Setter bytes(uint64_t* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    std::string s = n.as<std::string>();
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p == s.data()) return error(path, "invalid size \"" + s + "\"");
    std::string unit(std::string_view(p, static_cast<size_t>(s.data() + s.size() - p)));
    static const std::map<std::string, uint64_t> kUnits = {{"", 1},
                                                           {"B", 1},
                                                           {"KB", 1ull << 10},
                                                           {"KiB", 1ull << 10},
                                                           {"MB", 1ull << 20},
                                                           {"MiB", 1ull << 20},
                                                           {"GB", 1ull << 30},
                                                           {"GiB", 1ull << 30}};
    auto it = kUnits.find(unit);
    if (it == kUnits.end())
      return error(path, "invalid size unit in \"" + s + "\" (B, KB, MB, GB)");
    *out = v * it->second;
    return OkStatus();
  };
}
Setter strings(std::vector<std::string>* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsSequence()) return error(path, "must be a list");
    out->clear();
    for (const auto& e : n) {
      if (!e.IsScalar()) return error(path, "must be a list of strings");
      out->push_back(e.as<std::string>());
    }
    return OkStatus();
  };
}
Setter label_map(Labels* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (n.IsNull()) return OkStatus();
    if (!n.IsMap()) return error(path, "must be a mapping of label names to values");
    std::vector<Label> ls;
    for (const auto& kv : n) {
      std::string k = kv.first.as<std::string>();
      if (k.empty() || !(std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_')) {
        return error(path, "\"" + k + "\" is not a valid label name");
      }
      for (char c : k) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
          return error(path, "\"" + k + "\" is not a valid label name");
        }
      }
      ls.push_back({k, kv.second.IsNull() ? "" : kv.second.as<std::string>()});
    }
    *out = Labels(std::move(ls));
    return OkStatus();
  };
}

Status parse_relabel(const YAML::Node& n, const std::string& path, RelabelConfig* out) {
  std::string action = "replace";
  std::map<std::string, Setter> s = {
      {"source_labels", strings(&out->source_labels)},
      {"separator", str(&out->separator)},
      {"regex", str(&out->regex)},
      {"modulus", uint(&out->modulus)},
      {"target_label", str(&out->target_label)},
      {"replacement", str(&out->replacement)},
      {"action", str(&action)},
  };
  RETURN_IF_ERROR(walk(n, path, s));
  auto a = parse_relabel_action(action);
  if (!a.ok()) return error(path + ".action", a.status().message());
  out->action = *a;
  return OkStatus();
}

Setter relabels(std::vector<RelabelConfig>* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (n.IsNull()) return OkStatus();
    if (!n.IsSequence()) return error(path, "must be a list");
    out->clear();
    for (size_t i = 0; i < n.size(); i++) {
      RelabelConfig rc;
      RETURN_IF_ERROR(parse_relabel(n[i], fmt::format("{}[{}]", path, i), &rc));
      out->push_back(std::move(rc));
    }
    return OkStatus();
  };
}

Status parse_job(const YAML::Node& n, const std::string& path, ScrapeConfig* c) {
  std::map<std::string, Setter> s = {
      {"job_name", str(&c->job_name)},
      {"scrape_interval", duration(&c->scrape_interval_ms)},
      {"scrape_timeout", duration(&c->scrape_timeout_ms)},
      {"metrics_path", str(&c->metrics_path)},
      {"scheme", str(&c->scheme)},
      {"honor_labels", boolean(&c->honor_labels)},
      {"honor_timestamps", boolean(&c->honor_timestamps)},
      {"params",
       [c](const YAML::Node& v, const std::string& p) {
         if (!v.IsMap()) return error(p, "must be a mapping of names to lists of values");
         c->params.clear();
         for (const auto& kv : v) {
           std::vector<std::string> values;
           RETURN_IF_ERROR(strings(&values)(kv.second, p + "." + kv.first.as<std::string>()));
           c->params.emplace_back(kv.first.as<std::string>(), std::move(values));
         }
         return OkStatus();
       }},
      {"static_configs",
       [c](const YAML::Node& v, const std::string& p) {
         if (!v.IsSequence()) return error(p, "must be a list");
         for (size_t i = 0; i < v.size(); i++) {
           StaticConfig sc;
           std::string ip = fmt::format("{}[{}]", p, i);
           RETURN_IF_ERROR(walk(
               v[i], ip, {{"targets", strings(&sc.targets)}, {"labels", label_map(&sc.labels)}}));
           c->static_configs.push_back(std::move(sc));
         }
         return OkStatus();
       }},
      {"file_sd_configs",
       [c](const YAML::Node& v, const std::string& p) {
         if (!v.IsSequence()) return error(p, "must be a list");
         for (size_t i = 0; i < v.size(); i++) {
           FileSdConfig fc;
           std::string ip = fmt::format("{}[{}]", p, i);
           RETURN_IF_ERROR(walk(v[i], ip,
                                {{"files", strings(&fc.files)},
                                 {"refresh_interval", duration(&fc.refresh_interval_ms)}}));
           for (const auto& f : fc.files) {
             if (!(f.ends_with(".json") || f.ends_with(".yml") || f.ends_with(".yaml"))) {
               return error(ip + ".files",
                            "\"" + f + "\": file_sd files must end in .json, .yml or .yaml");
             }
           }
           if (fc.files.empty()) return error(ip + ".files", "must list at least one file");
           c->file_sd_configs.push_back(std::move(fc));
         }
         return OkStatus();
       }},
      {"relabel_configs", relabels(&c->relabel_configs)},
      {"metric_relabel_configs", relabels(&c->metric_relabel_configs)},
      {"sample_limit", uint(&c->sample_limit)},
      {"label_limit", uint(&c->label_limit)},
      {"label_name_length_limit", uint(&c->label_name_length_limit)},
      {"label_value_length_limit", uint(&c->label_value_length_limit)},
      {"target_limit", uint(&c->target_limit)},
      {"body_size_limit", bytes(&c->body_size_limit)},
  };
  return walk(n, path, s);
}

Result<YAML::Node> load(std::string_view yaml) {
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(std::string("config: invalid YAML: ") + e.what());
  }
}

}  // namespace

Status parse_scrape_configs_yaml(std::string_view yaml, std::vector<ScrapeConfig>* out) {
  ASSIGN_OR_RETURN(YAML::Node n, load(yaml));
  out->clear();
  if (n.IsNull()) return OkStatus();
  if (!n.IsSequence()) return error("scrape_configs", "must be a list of scrape configs");
  try {
    for (size_t i = 0; i < n.size(); i++) {
      ScrapeConfig c;
      RETURN_IF_ERROR(parse_job(n[i], fmt::format("scrape_configs[{}]", i), &c));
      out->push_back(std::move(c));
    }
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(std::string("config: scrape_configs: ") + e.what());
  }
  return OkStatus();
}

int64_t global_interval_ms(const GlobalConfig& g) {
  return g.scrape_interval_ms > 0 ? g.scrape_interval_ms : kDefaultInterval;
}
int64_t global_timeout_ms(const GlobalConfig& g) {
  if (g.scrape_timeout_ms > 0) return g.scrape_timeout_ms;
  return std::min(kDefaultTimeout, global_interval_ms(g));
}
int64_t job_interval_ms(const ScrapeConfig& c, const GlobalConfig& g) {
  return c.scrape_interval_ms > 0 ? c.scrape_interval_ms : global_interval_ms(g);
}
int64_t job_timeout_ms(const ScrapeConfig& c, const GlobalConfig& g) {
  if (c.scrape_timeout_ms > 0) return c.scrape_timeout_ms;
  return std::min(global_timeout_ms(g), job_interval_ms(c, g));
}

Status validate_scrape_settings(const ScrapeSettings& s) {
  if (global_timeout_ms(s.global) > global_interval_ms(s.global)) {
    return Status::invalid_argument(
        "config: global: scrape_timeout is greater than scrape_interval");
  }
  std::set<std::string> jobs;
  for (size_t i = 0; i < s.scrape_configs.size(); i++) {
    const ScrapeConfig& c = s.scrape_configs[i];
    std::string path = fmt::format("scrape_configs[{}]", i);
    if (c.job_name.empty()) return error(path, "job_name is required");
    path += " (job " + c.job_name + ")";
    if (!jobs.insert(c.job_name).second) return error(path, "job_name is used twice");
    if (job_timeout_ms(c, s.global) > job_interval_ms(c, s.global)) {
      return error(path, "scrape_timeout is greater than scrape_interval");
    }
    if (c.scheme == "https") {
      return error(path, "scheme https is not supported yet (opsight scrapes plain http)");
    }
    if (c.scheme != "http") return error(path, "scheme must be http");
    if (c.metrics_path.empty() || c.metrics_path[0] != '/') {
      return error(path, "metrics_path must start with /");
    }
    for (const auto& sc : c.static_configs) {
      for (const auto& t : sc.targets) {
        if (t.empty() || t.find('/') != std::string::npos) {
          return error(path, "\"" + t + "\" is not a valid target address (host:port)");
        }
      }
    }
    auto r = Relabeler::compile(c.relabel_configs, "config: " + path + ".relabel_configs");
    if (!r.ok()) return r.status();
    r = Relabeler::compile(c.metric_relabel_configs, "config: " + path + ".metric_relabel_configs");
    if (!r.ok()) return r.status();
  }
  return OkStatus();
}

}  // namespace opsight::collect
