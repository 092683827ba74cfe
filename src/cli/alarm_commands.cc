#include "cli/alarm_commands.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/input_file.h"
#include "cli/server_call.h"
#include "common/json_writer.h"
#include "net/http_client.h"

namespace opsight::cli {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kBase = "/api/v1/alarms";

std::string read_document(const std::string& path) {
  std::string doc;
  if (!read_input(path, &doc)) fail("cannot read " + path);
  return doc;
}

// POST /api/v1/alarms/<path> {"AlarmNames": [...]}.
void names_call(const std::string& server, std::string_view path,
                const std::vector<std::string>& names) {
  json::Writer w;
  w.begin_object().key("AlarmNames").begin_array();
  for (const auto& n : names) w.value(n);
  w.end_array().end_object();
  call_server("POST", server + std::string(kBase) + "/" + std::string(path), w.take());
}

struct DescribeArgs {
  std::vector<std::string> names;
  std::string prefix, state;
  bool json = false;
};

// Every page of DescribeAlarms (both alarm types).
void describe(const DescribeArgs& a, const std::string& server) {
  std::vector<std::string> metric_json, composite_json;
  std::vector<std::vector<std::string>> rows;
  std::string token;
  dom::parser parser;
  do {
    json::Writer w;
    w.begin_object();
    if (!a.names.empty()) {
      w.key("AlarmNames").begin_array();
      for (const auto& n : a.names) w.value(n);
      w.end_array();
    }
    if (!a.prefix.empty()) w.kv("AlarmNamePrefix", a.prefix);
    if (!a.state.empty()) w.kv("StateValue", a.state);
    w.key("AlarmTypes").begin_array().value("MetricAlarm").value("CompositeAlarm").end_array();
    w.kv("MaxRecords", 100);
    if (!token.empty()) w.kv("NextToken", token);
    w.end_object();
    const std::string body = call_server("POST", server + std::string(kBase), w.take());
    dom::element doc = parse_answer(parser, body);
    for (auto [key, out] :
         {std::pair{"MetricAlarms", &metric_json}, std::pair{"CompositeAlarms", &composite_json}}) {
      dom::array alarms;
      if (doc[key].get(alarms)) fail("unexpected answer: " + body);
      for (dom::element alarm : alarms) {
        out->push_back(simdjson::minify(alarm));
        rows.push_back({json_field(alarm, "AlarmName"), json_field(alarm, "StateValue"),
                        json_field(alarm, "StateUpdatedTimestamp"),
                        json_field(alarm, "StateReason")});
      }
    }
    token = json_field(doc, "NextToken");
  } while (!token.empty());
  if (a.json) {
    std::string out = R"({"MetricAlarms":[)";
    for (size_t i = 0; i < metric_json.size(); i++) out += (i > 0 ? "," : "") + metric_json[i];
    out += R"(],"CompositeAlarms":[)";
    for (size_t i = 0; i < composite_json.size(); i++) {
      out += (i > 0 ? "," : "") + composite_json[i];
    }
    out += "]}";
    std::printf("%s\n", out.c_str());
    return;
  }
  std::sort(rows.begin(), rows.end());
  print_table({"NAME", "STATE", "UPDATED", "REASON"}, rows);
}

struct HistoryArgs {
  std::string name, type;
  int limit = 20;
  bool json = false;
};

void history(const HistoryArgs& a, const std::string& server) {
  if (a.limit < 1) fail("--limit must be at least 1");
  std::vector<std::string> items_json;
  std::vector<std::vector<std::string>> rows;
  std::string token;
  dom::parser parser;
  do {
    json::Writer w;
    w.begin_object().kv("AlarmName", a.name);
    if (!a.type.empty()) w.kv("HistoryItemType", a.type);
    w.kv("MaxRecords", std::min<int64_t>(100, a.limit - static_cast<int64_t>(rows.size())));
    if (!token.empty()) w.kv("NextToken", token);
    w.end_object();
    const std::string body =
        call_server("POST", server + std::string(kBase) + "/history", w.take());
    dom::element doc = parse_answer(parser, body);
    dom::array items;
    if (doc["AlarmHistoryItems"].get(items)) fail("unexpected answer: " + body);
    for (dom::element item : items) {
      items_json.push_back(simdjson::minify(item));
      rows.push_back({json_field(item, "Timestamp"), json_field(item, "HistoryItemType"),
                      json_field(item, "HistorySummary")});
    }
    token = json_field(doc, "NextToken");
  } while (!token.empty() && rows.size() < static_cast<size_t>(a.limit));
  if (a.json) {
    std::string out = R"({"AlarmHistoryItems":[)";
    for (size_t i = 0; i < items_json.size(); i++) out += (i > 0 ? "," : "") + items_json[i];
    out += "]}";
    std::printf("%s\n", out.c_str());
    return;
  }
  print_table({"TIMESTAMP", "TYPE", "SUMMARY"}, rows);
}

struct TargetArgs {
  std::string name, type = "generic", url, routing_key;
  std::vector<std::string> headers;  // "Name=value"
  int64_t timeout_ms = 0;
};

std::string target_json(const TargetArgs& a) {
  json::Writer w;
  w.begin_object().kv("Name", a.name).kv("Type", a.type).kv("Url", a.url);
  if (!a.routing_key.empty()) w.kv("RoutingKey", a.routing_key);
  if (!a.headers.empty()) {
    w.key("Headers").begin_object();
    for (const auto& h : a.headers) {
      const size_t eq = h.find('=');
      if (eq == std::string::npos || eq == 0) fail("--header \"" + h + "\" must be Name=value");
      w.kv(h.substr(0, eq), h.substr(eq + 1));
    }
    w.end_object();
  }
  if (a.timeout_ms > 0) w.kv("TimeoutMs", a.timeout_ms);
  w.end_object();
  return w.take();
}

// True when the document is an object with an "AlarmRule" member (a composite alarm).
bool looks_composite(const std::string& doc) {
  dom::parser parser;
  dom::element e;
  dom::object obj;
  dom::element rule;
  return !parser.parse(doc).get(e) && !e.get_object().get(obj) && !obj["AlarmRule"].get(rule);
}

}  // namespace

void add_alarm_commands(CLI::App& app, const std::string* server_url) {
  auto* alarm = app.add_subcommand("alarm", "CloudWatch-style metric and composite alarms");
  alarm->require_subcommand(1);
  const std::string* srv = server_url;

  auto file = std::make_shared<std::string>();
  auto composite = std::make_shared<bool>(false);
  auto* put = alarm->add_subcommand("put", "Create or update an alarm from a JSON document");
  put->add_option("file", *file, "PutMetricAlarm / PutCompositeAlarm JSON file, or - for stdin")
      ->required();
  put->add_flag("--composite", *composite,
                "Send as PutCompositeAlarm (the default for a document with AlarmRule)");
  put->callback([=] {
    const std::string doc = read_document(*file);
    const bool is_composite = *composite || looks_composite(doc);
    const std::string body = call_server(
        "PUT", *srv + std::string(kBase) + (is_composite ? "/composite" : "/metric"), doc);
    dom::parser parser;
    dom::element a = parse_answer(parser, body);
    std::printf("%s %s: %s\n", json_field(a, "AlarmType").c_str(),
                json_field(a, "AlarmName").c_str(), json_field(a, "StateValue").c_str());
  });

  auto d = std::make_shared<DescribeArgs>();
  auto* describe_cmd = alarm->add_subcommand("describe", "List alarms with their state");
  describe_cmd->add_option("names", d->names, "Only these alarms");
  describe_cmd->add_option("--prefix", d->prefix, "Only alarms whose name starts with this");
  describe_cmd->add_option("--state", d->state, "OK, ALARM or INSUFFICIENT_DATA");
  describe_cmd->add_flag("--json", d->json, "Print the alarms as JSON (CloudWatch fields)");
  describe_cmd->callback([=] { describe(*d, *srv); });

  auto h = std::make_shared<HistoryArgs>();
  auto* history_cmd = alarm->add_subcommand("history", "State, configuration and action history");
  history_cmd->add_option("name", h->name, "Alarm name")->required();
  history_cmd->add_option("--type", h->type, "StateUpdate, ConfigurationUpdate or Action");
  history_cmd->add_option("--limit", h->limit, "Most recent items to show (default 20)");
  history_cmd->add_flag("--json", h->json, "Print the items as JSON");
  history_cmd->callback([=] { history(*h, *srv); });

  auto name = std::make_shared<std::string>();
  auto state = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto reason_data = std::make_shared<std::string>();
  auto* set_state = alarm->add_subcommand(
      "set-state", "Force an alarm's state until its next evaluation (e.g. to test actions)");
  set_state->add_option("name", *name, "Alarm name")->required();
  set_state->add_option("state", *state, "OK, ALARM or INSUFFICIENT_DATA")->required();
  set_state->add_option("--reason", *reason, "Reason shown in history and notifications")
      ->required();
  set_state->add_option("--reason-data", *reason_data, "Reason data (a JSON document)");
  set_state->callback([=] {
    json::Writer w;
    w.begin_object().kv("AlarmName", *name).kv("StateValue", *state).kv("StateReason", *reason);
    if (!reason_data->empty()) w.kv("StateReasonData", *reason_data);
    w.end_object();
    const std::string body =
        call_server("POST", *srv + std::string(kBase) + "/set-state", w.take());
    dom::parser parser;
    dom::element a = parse_answer(parser, body);
    std::printf("%s: %s\n", json_field(a, "AlarmName").c_str(),
                json_field(a, "StateValue").c_str());
  });

  auto names = std::make_shared<std::vector<std::string>>();
  struct NamesCommand {
    const char* name;
    const char* path;
    const char* help;
  };
  for (const auto& c : {NamesCommand{"delete", "delete", "Delete alarms (all or nothing)"},
                        NamesCommand{"enable", "enable-actions", "Enable alarm actions"},
                        NamesCommand{"disable", "disable-actions",
                                     "Disable alarm actions (state changes and history go on)"}}) {
    auto* cmd = alarm->add_subcommand(c.name, c.help);
    cmd->add_option("names", *names, "Alarm names")->required();
    const std::string path = c.path;
    cmd->callback([=] { names_call(*srv, path, *names); });
  }

  auto* target = alarm->add_subcommand("target", "Alarm targets: where ARN actions deliver");
  target->require_subcommand(1);
  auto t = std::make_shared<TargetArgs>();
  auto* tput = target->add_subcommand("put", "Create or replace an alarm target");
  tput->add_option("name", t->name, "Target name (the last segment of an action ARN)")->required();
  tput->add_option("--type", t->type, "slack, pagerduty, alertmanager or generic (default)");
  tput->add_option("--url", t->url, "Webhook URL")->required();
  tput->add_option("--routing-key", t->routing_key, "PagerDuty routing key");
  tput->add_option("--header", t->headers, "Extra request header Name=value (repeatable)");
  tput->add_option("--timeout-ms", t->timeout_ms, "Request timeout (default 10000)");
  tput->callback([=] {
    std::printf(
        "%s\n",
        call_server("PUT", *srv + std::string(kBase) + "/targets/" + net::url_encode(t->name),
                    target_json(*t))
            .c_str());
  });

  auto list_json = std::make_shared<bool>(false);
  auto* tlist = target->add_subcommand("list", "List alarm targets");
  tlist->add_flag("--json", *list_json, "Print the targets as JSON");
  tlist->callback([=] {
    const std::string body = call_server("GET", *srv + std::string(kBase) + "/targets");
    if (*list_json) {
      std::printf("%s\n", body.c_str());
      return;
    }
    dom::parser parser;
    dom::array targets;
    if (parse_answer(parser, body)["Targets"].get(targets)) fail("unexpected answer: " + body);
    std::vector<std::vector<std::string>> rows;
    for (dom::element e : targets) {
      rows.push_back({json_field(e, "Name"), json_field(e, "Type"), json_field(e, "Url")});
    }
    print_table({"NAME", "TYPE", "URL"}, rows);
  });

  auto* tdel = target->add_subcommand("delete", "Delete an alarm target");
  tdel->add_option("name", *name, "Target name")->required();
  tdel->callback([=] {
    call_server("DELETE", *srv + std::string(kBase) + "/targets/" + net::url_encode(*name));
  });
}

}  // namespace opsight::cli
