#include "cli/logs_commands.h"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "common/json_writer.h"
#include "net/http_client.h"

namespace opsight::cli {
namespace {

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "opsight: %s\n", msg.c_str());
  std::exit(1);
}

// Calls the server; exits with the server's error message on a non-2xx answer.
std::string call(const std::string& method, const std::string& url, const std::string& body = "",
                 const std::string& content_type = "") {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  auto r = net::http_request(method, url, body, headers);
  if (!r.ok()) fail(r.status().message());
  if (r->status / 100 != 2) fail("HTTP " + std::to_string(r->status) + ": " + r->body);
  return std::move(r->body);
}

// "?a=1&b=2" from pairs, skipping empty values.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    out += out.empty() ? '?' : '&';
    out += k + "=" + net::url_encode(v);
  }
  return out;
}

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& body) {
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc)) fail("server answered with invalid JSON: " + body);
  return doc;
}

std::string str(simdjson::dom::element e) {
  std::string_view s;
  if (!e.get(s)) return std::string(s);
  return simdjson::to_string(e);
}

// Prints a results table of GetQueryResults rows: a header, then one tab-separated line per row.
void print_results(simdjson::dom::element doc) {
  simdjson::dom::array rows;
  if (doc["results"].get(rows)) return;
  std::vector<std::string> columns;
  std::vector<std::vector<std::pair<std::string, std::string>>> table;
  for (auto row : rows) {
    auto& out = table.emplace_back();
    for (auto cell : row.get_array()) {
      std::string field = str(cell["field"]);
      if (std::find(columns.begin(), columns.end(), field) == columns.end()) {
        columns.push_back(field);
      }
      out.emplace_back(field, str(cell["value"]));
    }
  }
  std::string line;
  for (const auto& c : columns) line += (line.empty() ? "" : "\t") + c;
  std::printf("%s\n", line.c_str());
  for (const auto& row : table) {
    line.clear();
    for (size_t i = 0; i < columns.size(); i++) {
      if (i > 0) line += '\t';
      for (const auto& [f, v] : row) {
        if (f == columns[i]) line += v;
      }
    }
    std::printf("%s\n", line.c_str());
  }
}

struct QueryArgs {
  std::string query, since = "1h", start, end;
  std::vector<std::string> groups;
  int limit = 0;
  bool json = false;
};

void run_query(const QueryArgs& a, const std::string& server) {
  std::vector<std::pair<std::string, std::string>> params{{"query", a.query}};
  for (const auto& g : a.groups) params.emplace_back("group", g);
  params.emplace_back("start", a.start.empty() ? "now-" + a.since : a.start);
  params.emplace_back("end", a.end.empty() ? "now" : a.end);
  if (a.limit > 0) params.emplace_back("limit", std::to_string(a.limit));
  simdjson::dom::parser parser;
  std::string started = call("POST", server + "/api/v1/logs/query" + query_string(params));
  std::string id = str(parse(parser, started)["queryId"]);
  while (true) {
    std::string body = call("GET", server + "/api/v1/logs/query/" + id + "?wait=10");
    auto doc = parse(parser, body);
    std::string status = str(doc["status"]);
    if (status == "Scheduled" || status == "Running") continue;
    if (a.json) {
      std::printf("%s\n", body.c_str());
    } else {
      print_results(doc);
      auto stats = doc["statistics"];
      std::fprintf(stderr, "%s: %s records matched, %s scanned, %s bytes scanned\n", status.c_str(),
                   str(stats["recordsMatched"]).c_str(), str(stats["recordsScanned"]).c_str(),
                   str(stats["bytesScanned"]).c_str());
    }
    if (status != "Complete") {
      std::string_view err;
      if (!doc["error"].get(err)) fail(status + ": " + std::string(err));
      fail(status);
    }
    return;
  }
}

void put_events(const std::string& group, const std::string& stream,
                const std::vector<std::string>& messages, const std::string& server) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  json::Writer w;
  w.begin_object().kv("logGroupName", group).kv("logStreamName", stream);
  w.key("logEvents").begin_array();
  for (const auto& m : messages)
    w.begin_object().kv("timestamp", now).kv("message", m).end_object();
  w.end_array().end_object();
  std::printf("%s\n",
              call("POST", server + "/api/v1/logs/put", w.str(), "application/json").c_str());
}

}  // namespace

void add_logs_commands(CLI::App& app, const std::string* server_url) {
  auto* logs = app.add_subcommand("logs", "Log groups, streams, events and Logs Insights queries");
  logs->require_subcommand(1);
  const std::string* srv = server_url;

  auto prefix = std::make_shared<std::string>();
  auto* groups = logs->add_subcommand("groups", "List log groups");
  groups->add_option("--prefix", *prefix, "Only groups whose name starts with this");
  groups->callback([=] {
    std::printf(
        "%s\n",
        call("GET", *srv + "/api/v1/logs/groups" + query_string({{"prefix", *prefix}})).c_str());
  });

  auto name = std::make_shared<std::string>();
  auto retention = std::make_shared<int>(0);
  auto* cg = logs->add_subcommand("create-group", "Create a log group");
  cg->add_option("name", *name, "Log group name, e.g. /app/web")->required();
  cg->add_option("--retention", *retention, "Retention in days (1, 3, 5, 7, 14, 30, ...)");
  cg->callback([=] {
    call("POST",
         *srv + "/api/v1/logs/groups" +
             query_string({{"name", *name},
                           {"retention", *retention > 0 ? std::to_string(*retention) : ""}}));
  });

  auto* dg = logs->add_subcommand("delete-group", "Delete a log group and its events");
  dg->add_option("name", *name, "Log group name")->required();
  dg->callback([=] {
    call("DELETE", *srv + "/api/v1/logs/groups" + query_string({{"name", *name}}));
  });

  auto* pr = logs->add_subcommand("put-retention", "Set a group's retention (0 = never expire)");
  pr->add_option("name", *name, "Log group name")->required();
  pr->add_option("days", *retention, "Days")->required();
  pr->callback([=] {
    call("PUT", *srv + "/api/v1/logs/groups/retention" +
                    query_string({{"name", *name}, {"days", std::to_string(*retention)}}));
  });

  auto group = std::make_shared<std::string>();
  auto* ls = logs->add_subcommand("streams", "List the log streams of a group");
  ls->add_option("group", *group, "Log group name")->required();
  ls->add_option("--prefix", *prefix, "Only streams whose name starts with this");
  ls->callback([=] {
    std::printf("%s\n", call("GET", *srv + "/api/v1/logs/streams" +
                                        query_string({{"group", *group}, {"prefix", *prefix}}))
                            .c_str());
  });

  auto* cs = logs->add_subcommand("create-stream", "Create a log stream");
  cs->add_option("group", *group, "Log group name")->required();
  cs->add_option("name", *name, "Log stream name")->required();
  cs->callback([=] {
    call("POST",
         *srv + "/api/v1/logs/streams" + query_string({{"group", *group}, {"name", *name}}));
  });

  auto stream = std::make_shared<std::string>();
  auto messages = std::make_shared<std::vector<std::string>>();
  auto* put = logs->add_subcommand("put", "Put events (timestamped now) into a stream");
  put->add_option("group", *group, "Log group name")->required();
  put->add_option("stream", *stream, "Log stream name")->required();
  put->add_option("messages", *messages, "One event per argument")->required();
  put->callback([=] { put_events(*group, *stream, *messages, *srv); });

  auto q = std::make_shared<QueryArgs>();
  auto* query = logs->add_subcommand("query", "Run a Logs Insights query and print the results");
  query->add_option("query", q->query, "e.g. 'fields @timestamp, @message | limit 20'")->required();
  query->add_option("--group", q->groups, "Log group (repeatable)")->required();
  query->add_option("--since", q->since, "How far back (e.g. 15m, 1h, 7d); default 1h");
  query->add_option("--start", q->start, "Start time (RFC 3339 or Unix seconds)");
  query->add_option("--end", q->end, "End time (default now)");
  query->add_option("--limit", q->limit, "Maximum rows (default 10000)");
  query->add_flag("--json", q->json, "Print the server's JSON answer");
  query->callback([=] { run_query(*q, *srv); });

  auto pattern = std::make_shared<std::string>();
  auto since = std::make_shared<std::string>("1h");
  auto* fl = logs->add_subcommand("filter", "Events of a group matching a filter pattern");
  fl->add_option("group", *group, "Log group name")->required();
  fl->add_option("--pattern", *pattern, "CloudWatch filter pattern, e.g. 'ERROR -retry'");
  fl->add_option("--since", *since, "How far back; default 1h");
  fl->callback([=] {
    simdjson::dom::parser parser;
    std::string body = call(
        "GET",
        *srv + "/api/v1/logs/filter" +
            query_string({{"group", *group}, {"pattern", *pattern}, {"start", "now-" + *since}}));
    simdjson::dom::array events;
    if (parse(parser, body)["events"].get(events)) fail("unexpected answer: " + body);
    for (auto e : events) {
      std::printf("%s\t%s\t%s\n", str(e["timestamp"]).c_str(), str(e["logStreamName"]).c_str(),
                  str(e["message"]).c_str());
    }
  });

  auto* pt = logs->add_subcommand("patterns", "Log templates of a group with counts");
  pt->add_option("group", *group, "Log group name")->required();
  pt->add_option("--filter", *pattern, "Only events matching this filter pattern");
  pt->add_option("--since", *since, "How far back; default 1h");
  pt->callback([=] {
    simdjson::dom::parser parser;
    std::string body = call(
        "GET",
        *srv + "/api/v1/logs/patterns" +
            query_string({{"group", *group}, {"filter", *pattern}, {"start", "now-" + *since}}));
    simdjson::dom::array patterns;
    if (parse(parser, body)["patterns"].get(patterns)) fail("unexpected answer: " + body);
    std::printf("count\tpattern_id\tpattern\n");
    for (auto p : patterns) {
      std::printf("%s\t%s\t%s\n", str(p["count"]).c_str(), str(p["patternId"]).c_str(),
                  str(p["pattern"]).c_str());
    }
  });
}

}  // namespace opsight::cli
