#include "cli/commands.h"

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>

#include "common/json_writer.h"
#include "net/http_client.h"

namespace opsight::cli {
namespace {

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "opsight: %s\n", msg.c_str());
  std::exit(1);
}

net::ClientResponse call(const std::string& method, const std::string& url,
                         const std::string& body = "", const std::string& content_type = "") {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  auto r = net::http_request(method, url, body, headers);
  if (!r.ok()) fail(r.status().message());
  return std::move(*r);
}

struct PutMetricArgs {
  std::string ns, name, unit, timestamp;
  std::vector<std::string> dimensions;
  std::vector<double> values;
  double count = 0, sum = 0, min = 0, max = 0;
  bool stats = false;
  int resolution = 60;
};

void put_metric(const PutMetricArgs& a, const std::string& server) {
  json::Writer w;
  w.begin_object().kv("Namespace", a.ns).key("MetricData").begin_array().begin_object();
  w.kv("MetricName", a.name);
  if (!a.dimensions.empty()) {
    w.key("Dimensions").begin_array();
    for (const auto& d : a.dimensions) {
      auto eq = d.find('=');
      if (eq == std::string::npos) fail("--dimension must be Name=Value, got \"" + d + "\"");
      w.begin_object().kv("Name", d.substr(0, eq)).kv("Value", d.substr(eq + 1)).end_object();
    }
    w.end_array();
  }
  if (a.stats) {
    w.key("StatisticValues").begin_object().kv("SampleCount", a.count).kv("Sum", a.sum);
    w.kv("Minimum", a.min).kv("Maximum", a.max).end_object();
  } else if (a.values.size() == 1) {
    w.kv("Value", a.values[0]);
  } else if (a.values.size() > 1) {
    w.key("Values").begin_array();
    for (double v : a.values) w.value(v);
    w.end_array();
  } else {
    fail("give --value (one or more) or --statistic-values count,sum,min,max");
  }
  if (!a.unit.empty()) w.kv("Unit", a.unit);
  if (!a.timestamp.empty()) w.kv("Timestamp", a.timestamp);
  w.kv("StorageResolution", a.resolution);
  w.end_object().end_array().end_object();
  auto r = call("POST", server + "/api/v1/metrics/put", w.str(), "application/json");
  if (r.status / 100 != 2) fail("HTTP " + std::to_string(r.status) + ": " + r.body);
  std::printf("%s\n", r.body.c_str());
}

void print_stats_table(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc)) {
    std::printf("%s\n", body.c_str());
    return;
  }
  simdjson::dom::array series;
  if (doc["series"].get(series)) return;
  for (auto s : series) {
    std::string labels = "{";
    simdjson::dom::object lo;
    if (!s["labels"].get(lo)) {
      bool first = true;
      for (auto [k, v] : lo) {
        std::string_view sv;
        if (v.get(sv)) continue;
        labels += (first ? "" : ", ") + std::string(k) + "=\"" + std::string(sv) + "\"";
        first = false;
      }
    }
    labels += "}";
    std::printf("%s\n", labels.c_str());
    simdjson::dom::array dps;
    if (s["datapoints"].get(dps)) continue;
    for (auto dp : dps) {
      simdjson::dom::object o;
      if (dp.get(o)) continue;
      std::string line = " ";
      for (auto [k, v] : o) {
        if (k == "timestamp_ms") continue;
        std::string_view sv;
        double d;
        if (!v.get(sv)) {
          line += " " + std::string(sv);
        } else if (!v.get(d)) {
          char buf[64];
          std::snprintf(buf, sizeof(buf), " %s=%g", std::string(k).c_str(), d);
          line += buf;
        }
      }
      std::printf("%s\n", line.c_str());
    }
  }
}

}  // namespace

void add_client_commands(CLI::App& app, const std::string* server_url) {
  app.add_option("--server", *const_cast<std::string*>(server_url),
                 "opsight server URL (default $OPSIGHT_URL or http://127.0.0.1:4318)");

  // put metric
  auto* put = app.add_subcommand("put", "Write data");
  put->require_subcommand(1);
  auto* pm = put->add_subcommand("metric", "Write one CloudWatch-style metric datapoint");
  auto args = std::make_shared<PutMetricArgs>();
  auto stat_values = std::make_shared<std::vector<double>>();
  pm->add_option("--namespace", args->ns, "Namespace, e.g. MyApp")->required();
  pm->add_option("--name", args->name, "Metric name, e.g. Latency")->required();
  pm->add_option("--dimension", args->dimensions, "Name=Value (repeatable)");
  pm->add_option("--value", args->values, "Value (repeat for several values)");
  pm->add_option("--statistic-values", *stat_values, "count,sum,min,max")
      ->delimiter(',')
      ->expected(4);
  pm->add_option("--unit", args->unit, "CloudWatch unit, e.g. Milliseconds");
  pm->add_option("--timestamp", args->timestamp, "RFC 3339 time (default now)");
  pm->add_option("--storage-resolution", args->resolution, "1 or 60");
  pm->callback([args, stat_values, server_url] {
    if (!stat_values->empty()) {
      args->stats = true;
      args->count = (*stat_values)[0];
      args->sum = (*stat_values)[1];
      args->min = (*stat_values)[2];
      args->max = (*stat_values)[3];
    }
    put_metric(*args, *server_url);
  });

  // query stats
  auto* query = app.add_subcommand("query", "Query data");
  query->require_subcommand(1);
  auto* qs = query->add_subcommand("stats", "CloudWatch statistics per period for a selector");
  auto match = std::make_shared<std::string>();
  auto since = std::make_shared<std::string>("1h");
  auto period = std::make_shared<std::string>("60s");
  auto statistics = std::make_shared<std::string>("SampleCount,Average,Minimum,Maximum");
  auto as_json = std::make_shared<bool>(false);
  qs->add_option("selector", *match, "Series selector, e.g. 'Latency{Namespace=\"MyApp\"}'")
      ->required();
  qs->add_option("--since", *since, "How far back (e.g. 15m, 1h, 7d)");
  qs->add_option("--period", *period, "Period (e.g. 60s, 5m)");
  qs->add_option("--statistics", *statistics, "Comma-separated, e.g. Average,p99");
  qs->add_flag("--json", *as_json, "Print the raw JSON answer");
  qs->callback([=] {
    std::string url = *server_url + "/api/v1/metrics/statistics?match=" + net::url_encode(*match) +
                      "&start=" + net::url_encode("now-" + *since) +
                      "&period=" + net::url_encode(*period) +
                      "&statistics=" + net::url_encode(*statistics);
    auto r = call("GET", url);
    if (r.status != 200) fail("HTTP " + std::to_string(r.status) + ": " + r.body);
    if (*as_json) {
      std::printf("%s\n", r.body.c_str());
    } else {
      print_stats_table(r.body);
    }
  });

  // export
  auto* ex = app.add_subcommand("export", "Export raw samples as JSON lines");
  auto ematch = std::make_shared<std::vector<std::string>>();
  auto estart = std::make_shared<std::string>();
  auto eend = std::make_shared<std::string>();
  ex->add_option("selector", *ematch, "Series selector(s)")->required();
  ex->add_option("--start", *estart, "Start (RFC 3339, Unix seconds or now-1h)");
  ex->add_option("--end", *eend, "End");
  ex->callback([=] {
    std::string url = *server_url + "/api/v1/export?";
    for (const auto& m : *ematch) url += "match[]=" + net::url_encode(m) + "&";
    if (!estart->empty()) url += "start=" + net::url_encode(*estart) + "&";
    if (!eend->empty()) url += "end=" + net::url_encode(*eend);
    auto r = call("GET", url);
    if (r.status != 200) fail("HTTP " + std::to_string(r.status) + ": " + r.body);
    std::fwrite(r.body.data(), 1, r.body.size(), stdout);
  });
}

}  // namespace opsight::cli
