#include "cli/incident_commands.h"

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cli/server_call.h"
#include "common/clock.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::cli {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kIncidents = "/api/v1/incidents";
constexpr std::string_view kInvestigations = "/api/v1/investigations";

std::string default_author() {
  const char* user = std::getenv("USER");
  return user && *user ? user : "cli";
}

int64_t int_field(dom::element obj, std::string_view key) {
  int64_t v = 0;
  if (obj[key].get(v)) {
    double d = 0;
    if (!obj[key].get(d)) v = static_cast<int64_t>(d);
  }
  return v;
}

std::string joined(dom::element obj, std::string_view key) {
  dom::array arr;
  if (obj[key].get(arr)) return "";
  std::string out;
  for (dom::element e : arr) {
    std::string_view s;
    if (e.get(s)) continue;
    if (!out.empty()) out += ",";
    out += s;
  }
  return out;
}

void print_incident_row(dom::element inc) {
  std::printf("%-17s %-12s %-19s %-28s %7lld  %s\n", json_field(inc, "id").c_str(),
              json_field(inc, "state").c_str(), format_time_ms(int_field(inc, "openedAt")).c_str(),
              joined(inc, "services").c_str(),
              static_cast<long long>(int_field(inc, "signalCount")),
              json_field(inc, "title").c_str());
}

void print_incident(dom::element inc) {
  std::printf("%s  %s  %s\n", json_field(inc, "id").c_str(), json_field(inc, "state").c_str(),
              json_field(inc, "title").c_str());
  std::printf("opened %s  last signal %s  resolved %s\n",
              format_time_ms(int_field(inc, "openedAt")).c_str(),
              format_time_ms(int_field(inc, "lastSignalAt")).c_str(),
              format_time_ms(int_field(inc, "resolvedAt")).c_str());
  std::printf(
      "services: %s  signals: %lld  alarms: %lld  in ALARM: %s\n", joined(inc, "services").c_str(),
      static_cast<long long>(int_field(inc, "signalCount")),
      static_cast<long long>(int_field(inc, "alarmCount")), joined(inc, "activeAlarms").c_str());
  dom::array timeline;
  if (inc["timeline"].get(timeline)) return;
  std::printf("\ntimeline:\n");
  for (dom::element e : timeline) {
    const std::string author = json_field(e, "author");
    std::printf("  %s  %-13s %s%s\n", format_time_ms(int_field(e, "time")).c_str(),
                json_field(e, "type").c_str(), json_field(e, "text").c_str(),
                author.empty() ? "" : ("  (" + author + ")").c_str());
  }
}

// POST /api/v1/incidents/<id>/<verb> with {"author", "<key>": text}; prints the incident.
void incident_action(const std::string& base, const std::string& id, const std::string& verb,
                     const std::string& author, const std::string& key, const std::string& text) {
  json::Writer w;
  w.begin_object();
  w.key("author").value(author);
  if (!text.empty()) w.key(key).value(text);
  w.end_object();
  const std::string body =
      call_server("POST", base + std::string(kIncidents) + "/" + id + "/" + verb, w.str());
  dom::parser parser;
  print_incident(parse_answer(parser, body));
}

int64_t ms_or_exit(const std::string& flag, const std::string& text, int64_t now_ms) {
  if (text == "now") return now_ms;
  auto d = parse_duration_ms(text);
  if (d.ok()) return now_ms - *d;  // "30m" = 30 minutes ago
  auto t = parse_time_ms(text);
  if (t.ok()) return *t;
  fail(flag + ": \"" + text + "\" is not a duration (30m), an RFC 3339 time or now");
}

void print_hypotheses(dom::element result) {
  std::printf("investigation %s (%s)  window %s .. %s\n", json_field(result, "id").c_str(),
              json_field(result, "status").c_str(),
              format_time_ms(int_field(result, "start")).c_str(),
              format_time_ms(int_field(result, "end")).c_str());
  dom::array hyps;
  if (result["hypotheses"].get(hyps) || hyps.size() == 0) {
    std::printf("no hypothesis: nothing in the window deviates from its baseline\n");
    return;
  }
  std::printf("%-4s %-5s %-24s %-11s %-8s  %s\n", "RANK", "SCORE", "COMPONENT", "KIND", "ONSET",
              "EXPLANATION");
  for (dom::element h : hyps) {
    double score = 0;
    if (h["score"].get(score)) score = 0;
    const std::string onset = format_time_ms(int_field(h, "onset"));
    std::printf("%-4s %5.2f %-24s %-11s %-8s  %s\n", json_field(h, "rank").c_str(), score,
                json_field(h, "component").c_str(), json_field(h, "kind").c_str(),
                onset.size() > 11 ? onset.substr(11).c_str() : onset.c_str(),
                json_field(h, "explanation").c_str());
  }
}

}  // namespace

void add_incident_commands(CLI::App& app, const std::string* server_url) {
  auto* incidents = app.add_subcommand("incidents", "List and handle incidents");
  incidents->require_subcommand(1);

  struct ListFlags {
    std::string state;
    int limit = 50;
  };
  auto lf = std::make_shared<ListFlags>();
  auto* list = incidents->add_subcommand("list", "List incidents, newest first");
  list->add_option("--state", lf->state, "open, acknowledged or resolved");
  list->add_option("--limit", lf->limit, "At most this many")->capture_default_str();
  list->callback([server_url, lf] {
    std::string url = *server_url + std::string(kIncidents) + "?limit=" + std::to_string(lf->limit);
    if (!lf->state.empty()) url += "&state=" + lf->state;
    const std::string body = call_server("GET", url);
    dom::parser parser;
    dom::array arr;
    if (parse_answer(parser, body)["incidents"].get(arr)) fail("unexpected answer: " + body);
    std::printf("%-17s %-12s %-19s %-28s %7s  %s\n", "ID", "STATE", "OPENED (UTC)", "SERVICES",
                "SIGNALS", "TITLE");
    for (dom::element inc : arr) print_incident_row(inc);
  });

  auto id = std::make_shared<std::string>();
  auto* show = incidents->add_subcommand("show", "An incident with its timeline");
  show->add_option("id", *id, "Incident id")->required();
  show->callback([server_url, id] {
    const std::string body = call_server("GET", *server_url + std::string(kIncidents) + "/" + *id);
    dom::parser parser;
    print_incident(parse_answer(parser, body));
  });

  struct ActionFlags {
    std::string id, note, author = default_author();
  };
  for (const auto& [verb, help] :
       {std::pair{"ack", "Acknowledge an incident"}, std::pair{"resolve", "Resolve an incident"}}) {
    auto af = std::make_shared<ActionFlags>();
    auto* cmd = incidents->add_subcommand(verb, help);
    cmd->add_option("id", af->id, "Incident id")->required();
    cmd->add_option("--note", af->note, "A note for the timeline");
    cmd->add_option("--author", af->author, "Who (default $USER)");
    const std::string path = std::string(verb) == "ack" ? "ack" : "resolve";
    cmd->callback([server_url, af, path] {
      incident_action(*server_url, af->id, path, af->author, "note", af->note);
    });
  }

  auto nf = std::make_shared<ActionFlags>();
  auto* annotate = incidents->add_subcommand("annotate", "Add a note to an incident's timeline");
  annotate->add_option("id", nf->id, "Incident id")->required();
  annotate->add_option("text", nf->note, "The note")->required();
  annotate->add_option("--author", nf->author, "Who (default $USER)");
  annotate->callback([server_url, nf] {
    incident_action(*server_url, nf->id, "notes", nf->author, "text", nf->note);
  });

  struct RunbookFlags {
    std::string id, name, author = default_author();
  };
  auto rf = std::make_shared<RunbookFlags>();
  auto* runbook =
      incidents->add_subcommand("runbook", "Run an allow-listed runbook for an incident");
  runbook->add_option("id", rf->id, "Incident id")->required();
  runbook->add_option("name", rf->name, "Runbook name (from the server's config)")->required();
  runbook->add_option("--author", rf->author, "Who (default $USER)");
  runbook->callback([server_url, rf] {
    json::Writer w;
    w.begin_object();
    w.key("author").value(rf->author);
    w.end_object();
    const std::string body = call_server(
        "POST", *server_url + std::string(kIncidents) + "/" + rf->id + "/runbooks/" + rf->name,
        w.str());
    dom::parser parser;
    dom::element r = parse_answer(parser, body);
    const bool ok = json_field(r, "ok") == "true";
    const std::string error = json_field(r, "error");
    std::printf("%s: %s in %s ms%s\n%s", rf->name.c_str(), ok ? "succeeded" : "failed",
                json_field(r, "durationMs").c_str(), error.empty() ? "" : (": " + error).c_str(),
                json_field(r, "output").c_str());
    if (!ok) std::exit(1);
  });

  struct InvestigateFlags {
    std::string since = "30m", until = "now", service, alarm, incident;
    bool json = false;
  };
  auto inv = std::make_shared<InvestigateFlags>();
  auto* investigate = app.add_subcommand(
      "investigate", "Rank the likely root causes of what went wrong in a time window");
  auto* since =
      investigate
          ->add_option("--since", inv->since, "Window start: a duration ago (30m) or RFC 3339")
          ->capture_default_str();
  auto* until =
      investigate->add_option("--until", inv->until, "Window end: now, a duration ago or RFC 3339")
          ->capture_default_str();
  investigate->add_option("--service", inv->service, "Hint: the service that looks affected");
  investigate->add_option("--alarm", inv->alarm, "Hint: the alarm that fired");
  investigate->add_option("--incident", inv->incident, "Investigate this incident's window");
  investigate->add_flag("--json", inv->json, "Print the API's JSON answer");
  investigate->callback([server_url, inv, since, until] {
    const int64_t now = Clock::real()->now_ms();
    json::Writer w;
    w.begin_object();
    // An incident's window comes from the incident unless --since/--until say otherwise.
    if (inv->incident.empty() || since->count() > 0 || until->count() > 0) {
      w.key("start").value(ms_or_exit("--since", inv->since, now));
      w.key("end").value(ms_or_exit("--until", inv->until, now));
    }
    if (!inv->service.empty()) w.key("service").value(inv->service);
    if (!inv->alarm.empty()) w.key("alarm").value(inv->alarm);
    if (!inv->incident.empty()) w.key("incident").value(inv->incident);
    w.end_object();
    const std::string body =
        call_server("POST", *server_url + std::string(kInvestigations), w.str());
    if (inv->json) {
      std::printf("%s\n", body.c_str());
      return;
    }
    dom::parser parser;
    print_hypotheses(parse_answer(parser, body));
  });
}

}  // namespace opsight::cli
