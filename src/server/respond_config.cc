#include "server/respond_config.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <string>

#include "server/config.h"  // parse_bytes

namespace opsight::server {
namespace {

namespace respond = aiops::respond;

using Setter = std::function<Status(const YAML::Node&, const std::string& path)>;

Status invalid(const std::string& path, std::string_view rule) {
  return Status::invalid_argument("config: " + path + " " + std::string(rule));
}

// Known keys run their setter; unknown keys are errors (as in config.cc).
Status walk(const YAML::Node& node, const std::string& path,
            const std::map<std::string, Setter>& setters) {
  if (!node.IsMap()) return invalid(path, "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const std::string full = path + "." + key;
    auto it = setters.find(key);
    if (it == setters.end())
      return Status::invalid_argument("config: unknown key \"" + full + "\"");
    RETURN_IF_ERROR(it->second(kv.second, full));
  }
  return OkStatus();
}

Setter str(std::string* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) return invalid(path, "must be a string");
    *out = n.as<std::string>();
    return OkStatus();
  };
}
template <typename T>
Setter integer(T* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    try {
      *out = n.as<T>();
    } catch (const YAML::Exception&) {
      return invalid(path, "must be a whole number");
    }
    return OkStatus();
  };
}
Setter bytes(size_t* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) return invalid(path, "must be a size (e.g. 65536 or 64KiB)");
    auto b = parse_bytes(n.as<std::string>());
    if (!b.ok()) return b.status().with_prefix("config: " + path);
    *out = static_cast<size_t>(*b);
    return OkStatus();
  };
}
Setter string_list(std::vector<std::string>* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsSequence()) return invalid(path, "must be a list");
    out->clear();
    for (const auto& v : n) {
      if (!v.IsScalar()) return invalid(path, "entries must be strings");
      out->push_back(v.as<std::string>());
    }
    return OkStatus();
  };
}
Setter headers(respond::HeaderList* out) {
  return [out](const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) return invalid(path, "must be a mapping of header name to value");
    out->clear();
    for (const auto& kv : n) {
      if (!kv.second.IsScalar()) return invalid(path, "values must be strings");
      out->emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
    }
    return OkStatus();
  };
}

Status parse_notify(const YAML::Node& n, const std::string& path,
                    std::vector<respond::NotifyTarget>* out) {
  if (!n.IsSequence()) return invalid(path, "must be a list");
  for (size_t i = 0; i < n.size(); i++) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    respond::NotifyTarget t;
    std::string type;
    std::vector<std::string> on;
    bool has_on = false;
    RETURN_IF_ERROR(walk(n[i], item,
                         {{"name", str(&t.name)},
                          {"type", str(&type)},
                          {"url", str(&t.url)},
                          {"routing_key", str(&t.routing_key)},
                          {"project_key", str(&t.project_key)},
                          {"issue_type", str(&t.issue_type)},
                          {"headers", headers(&t.headers)},
                          {"timeout_ms", integer(&t.timeout_ms)},
                          {"on", [&](const YAML::Node& v, const std::string& p) {
                             has_on = true;
                             return string_list(&on)(v, p);
                           }}}));
    if (type.empty())
      return invalid(item + ".type", "is required (slack, pagerduty, jira, servicenow, webhook)");
    auto nt = respond::parse_notify_type(type);
    if (!nt) {
      return invalid(item + ".type",
                     "\"" + type + "\" must be one of slack, pagerduty, jira, servicenow, webhook");
    }
    t.type = *nt;
    if (has_on && on.empty()) return invalid(item + ".on", "must list at least one change");
    for (const auto& c : on) {
      auto ch = respond::parse_incident_change(c);
      if (!ch)
        return invalid(item + ".on", "\"" + c + "\" must be opened, acknowledged or resolved");
      t.on.push_back(*ch);
    }
    out->push_back(std::move(t));
  }
  return OkStatus();
}

Status parse_runbooks(const YAML::Node& n, const std::string& path,
                      std::vector<respond::Runbook>* out) {
  if (!n.IsSequence()) return invalid(path, "must be a list");
  for (size_t i = 0; i < n.size(); i++) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    respond::Runbook rb;
    std::string type;
    RETURN_IF_ERROR(walk(n[i], item,
                         {{"name", str(&rb.name)},
                          {"type", str(&type)},
                          {"url", str(&rb.url)},
                          {"method", str(&rb.method)},
                          {"body", str(&rb.body)},
                          {"content_type", str(&rb.content_type)},
                          {"headers", headers(&rb.headers)},
                          {"argv", string_list(&rb.argv)},
                          {"timeout_ms", integer(&rb.timeout_ms)},
                          {"max_output_bytes", bytes(&rb.max_output_bytes)}}));
    if (type == "command") {
      rb.type = respond::RunbookType::kCommand;
    } else if (type == "http") {
      rb.type = respond::RunbookType::kHttp;
    } else if (type.empty()) {
      return invalid(item + ".type", "is required (http or command)");
    } else {
      return invalid(item + ".type", "\"" + type + "\" must be http or command");
    }
    out->push_back(std::move(rb));
  }
  return OkStatus();
}

}  // namespace

Result<respond::RespondConfig> parse_respond_config(const YAML::Node& root) {
  respond::RespondConfig cfg;
  if (!root.IsDefined() || root.IsNull()) return cfg;
  if (!root.IsMap()) return Status::invalid_argument("config: the document must be a mapping");
  try {
    if (const YAML::Node incidents = root["incidents"];
        incidents.IsDefined() && !incidents.IsNull()) {
      if (!incidents.IsMap()) return invalid("incidents", "must be a mapping");
      if (const YAML::Node notify = incidents["notify"]; notify.IsDefined() && !notify.IsNull()) {
        RETURN_IF_ERROR(parse_notify(notify, "incidents.notify", &cfg.notify));
      }
    }
    if (const YAML::Node runbooks = root["runbooks"]; runbooks.IsDefined() && !runbooks.IsNull()) {
      RETURN_IF_ERROR(parse_runbooks(runbooks, "runbooks", &cfg.runbooks));
    }
    if (const YAML::Node s = root["summarizer"]; s.IsDefined() && !s.IsNull()) {
      respond::SummarizerConfig& c = cfg.summarizer;
      RETURN_IF_ERROR(walk(s, "summarizer",
                           {{"url", str(&c.url)},
                            {"model", str(&c.model)},
                            {"api_key_env", str(&c.api_key_env)},
                            {"timeout_ms", integer(&c.timeout_ms)},
                            {"system_prompt", str(&c.system_prompt)}}));
    }
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(std::string("config: ") + e.what());
  }
  if (Status st = respond::validate_respond_config(cfg); !st.ok()) {
    return st.with_prefix("config");
  }
  return cfg;
}

}  // namespace opsight::server
