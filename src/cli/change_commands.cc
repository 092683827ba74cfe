#include "cli/change_commands.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/server_call.h"
#include "common/json_writer.h"
#include "net/http_client.h"

namespace opsight::cli {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kPath = "/api/v1/events/change";

struct RecordArgs {
  std::string service, kind, version, author, description, time, id;
  std::vector<std::string> attrs;
};

void record(const RecordArgs& a, const std::string& server) {
  json::Writer w;
  w.begin_object();
  if (!a.id.empty()) w.kv("id", a.id);
  w.kv("service", a.service).kv("kind", a.kind);
  if (!a.version.empty()) w.kv("version", a.version);
  if (!a.author.empty()) w.kv("author", a.author);
  if (!a.description.empty()) w.kv("description", a.description);
  if (!a.time.empty()) w.kv("time", a.time);  // the server reads ms, RFC 3339 or now-1h
  if (!a.attrs.empty()) {
    w.key("attributes").begin_object();
    for (const auto& kv : a.attrs) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) fail("--attr \"" + kv + "\" is not key=value");
      w.kv(kv.substr(0, eq), kv.substr(eq + 1));
    }
    w.end_object();
  }
  w.end_object();
  const std::string body = call_server("POST", server + std::string(kPath), w.take());
  dom::parser parser;
  dom::element doc = parse_answer(parser, body);
  dom::array ids;
  if (doc["ids"].get_array().get(ids) || ids.size() != 1) {
    fail("unexpected answer: " + body);
  }
  std::string_view id;
  if (ids.at(0).get_string().get(id)) fail("unexpected answer: " + body);
  std::printf("%.*s\n", static_cast<int>(id.size()), id.data());
}

struct ListArgs {
  std::string since = "24h";
  std::string service;
  int limit = 1000;
  bool json = false;
};

void list(const ListArgs& a, const std::string& server) {
  std::string url = server + std::string(kPath) + "?start=" + net::url_encode("now-" + a.since) +
                    "&limit=" + std::to_string(a.limit);
  if (!a.service.empty()) url += "&service=" + net::url_encode(a.service);
  const std::string body = call_server("GET", url);
  if (a.json) {
    std::printf("%s\n", body.c_str());
    return;
  }
  dom::parser parser;
  dom::element doc = parse_answer(parser, body);
  dom::array changes;
  if (doc["changes"].get_array().get(changes)) {
    fail("unexpected answer: " + body);
  }
  std::vector<std::vector<std::string>> rows;
  for (dom::element c : changes) {
    int64_t t = 0;
    if (c["time"].get_int64().get(t) != simdjson::SUCCESS) t = 0;
    std::string description = json_field(c, "description");
    std::replace(description.begin(), description.end(), '\n', ' ');
    rows.push_back({format_time_ms(t), json_field(c, "service"), json_field(c, "kind"),
                    json_field(c, "version"), json_field(c, "author"), description});
  }
  if (rows.empty()) {
    std::printf("no changes in the last %s\n", a.since.c_str());
    return;
  }
  print_table({"TIME", "SERVICE", "KIND", "VERSION", "AUTHOR", "DESCRIPTION"}, rows);
}

}  // namespace

void add_change_commands(CLI::App& app, const std::string* server_url) {
  auto* change = app.add_subcommand(
      "change", "Change events (deploys, config, scaling, flags) shown as investigation evidence");
  change->require_subcommand(1);
  const std::string* srv = server_url;

  auto r = std::make_shared<RecordArgs>();
  auto* rec = change->add_subcommand("record", "Record a change event; prints its id");
  rec->add_option("--service", r->service, "Service that changed")->required();
  rec->add_option("--kind", r->kind, "deploy, config, scale or flag")
      ->required()
      ->check(CLI::IsMember({"deploy", "config", "scale", "flag"}));
  rec->add_option("--version", r->version, "Version deployed (e.g. v2.3.1)");
  rec->add_option("--author", r->author, "Who or what made the change");
  rec->add_option("--description", r->description, "Free text");
  rec->add_option("--time", r->time,
                  "When (Unix ms, RFC 3339 or now-5m; default now; at most 14 days back)");
  rec->add_option("--attr", r->attrs, "Attribute key=value (repeatable)");
  rec->add_option("--id", r->id, "Event id (makes a retried record idempotent)");
  rec->callback([=] { record(*r, *srv); });

  auto l = std::make_shared<ListArgs>();
  auto* ls = change->add_subcommand("list", "List recorded changes, oldest first");
  ls->add_option("--since", l->since, "How far back (a duration such as 30m, 1h, 7d)")
      ->capture_default_str();
  ls->add_option("--service", l->service, "Only this service");
  ls->add_option("--limit", l->limit, "At most this many (1..10000)")->capture_default_str();
  ls->add_flag("--json", l->json, "Print the server's JSON");
  ls->callback([=] { list(*l, *srv); });
}

}  // namespace opsight::cli
