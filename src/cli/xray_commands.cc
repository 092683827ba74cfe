#include "cli/xray_commands.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "common/json_writer.h"
#include "net/http_client.h"

namespace opsight::cli {
namespace {

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "opsight: %s\n", msg.c_str());
  std::exit(1);
}

// POSTs a JSON body to an X-Ray API path and prints the answer.
void post(const std::string& server, const std::string& path, const std::string& body) {
  auto r = net::http_request("POST", server + path, body, {{"Content-Type", "application/json"}});
  if (!r.ok()) fail(r.status().message());
  if (r->status / 100 != 2) fail("HTTP " + std::to_string(r->status) + ": " + r->body);
  std::printf("%s\n", r->body.c_str());
}

// The rule fields a command takes; unset optionals are left out of the request.
struct RuleFlags {
  std::string name;
  std::optional<int64_t> priority;
  std::optional<double> fixed_rate;
  std::optional<int64_t> reservoir_size;
  std::optional<std::string> service_name, service_type, host, http_method, url_path, resource_arn;

  void add_to(CLI::App* cmd, bool create) {
    cmd->add_option("--rule-name", name, "Rule name (1-32 characters)")->required();
    auto* p = cmd->add_option("--priority", priority, "1..9999, lower is evaluated first");
    auto* f = cmd->add_option("--fixed-rate", fixed_rate, "Fraction sampled beyond the reservoir");
    auto* r = cmd->add_option("--reservoir-size", reservoir_size,
                              "Traces per second for the whole fleet before the fixed rate");
    if (create) {
      p->required();
      f->required();
      r->required();
    }
    cmd->add_option("--service-name", service_name, "Match the segment name (default *)");
    cmd->add_option("--service-type", service_type, "Match the segment origin (default *)");
    cmd->add_option("--host", host, "Match the request host (default *)");
    cmd->add_option("--http-method", http_method, "Match the request method (default *)");
    cmd->add_option("--url-path", url_path, "Match the request path (default *)");
    cmd->add_option("--resource-arn", resource_arn, "Match the resource ARN (default *)");
  }

  // The SamplingRule (create: defaults filled in) or SamplingRuleUpdate object.
  std::string json(bool create) const {
    json::Writer w;
    w.begin_object().kv("RuleName", name);
    auto str = [&](std::string_view key, const std::optional<std::string>& v) {
      if (v) {
        w.kv(key, *v);
      } else if (create) {
        w.kv(key, "*");
      }
    };
    str("ResourceARN", resource_arn);
    if (priority) w.kv("Priority", *priority);
    if (fixed_rate) w.kv("FixedRate", *fixed_rate);
    if (reservoir_size) w.kv("ReservoirSize", *reservoir_size);
    str("ServiceName", service_name);
    str("ServiceType", service_type);
    str("Host", host);
    str("HTTPMethod", http_method);
    str("URLPath", url_path);
    if (create) w.kv("Version", 1);
    w.end_object();
    return w.take();
  }
};

}  // namespace

void add_xray_commands(CLI::App& app, const std::string* server_url) {
  auto* xray = app.add_subcommand("xray", "X-Ray sampling rules");
  xray->require_subcommand(1);
  const std::string* srv = server_url;

  auto create = std::make_shared<RuleFlags>();
  auto* c = xray->add_subcommand("create-sampling-rule", "Create a sampling rule");
  create->add_to(c, true);
  c->callback(
      [=] { post(*srv, "/CreateSamplingRule", "{\"SamplingRule\":" + create->json(true) + "}"); });

  auto update = std::make_shared<RuleFlags>();
  auto* u = xray->add_subcommand("update-sampling-rule",
                                 "Change fields of a sampling rule (the others are kept)");
  update->add_to(u, false);
  u->callback([=] {
    post(*srv, "/UpdateSamplingRule", "{\"SamplingRuleUpdate\":" + update->json(false) + "}");
  });

  auto name = std::make_shared<std::string>();
  auto* d = xray->add_subcommand("delete-sampling-rule", "Delete a sampling rule");
  d->add_option("--rule-name", *name, "Rule name")->required();
  d->callback([=] {
    json::Writer w;
    w.begin_object().kv("RuleName", *name).end_object();
    post(*srv, "/DeleteSamplingRule", w.take());
  });

  auto* g = xray->add_subcommand("get-sampling-rules", "List the sampling rules");
  g->callback([=] { post(*srv, "/GetSamplingRules", "{}"); });

  auto* s = xray->add_subcommand("get-sampling-statistic-summaries",
                                 "Requests, sampled and borrowed counts per rule");
  s->callback([=] { post(*srv, "/SamplingStatisticSummaries", "{}"); });
}

}  // namespace opsight::cli
