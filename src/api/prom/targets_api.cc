#include "api/prom/targets_api.h"

#include "api/api_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::api {
namespace {

void labels_object(json::Writer& w, const Labels& ls) {
  w.begin_object();
  for (const auto& l : ls) w.kv(l.name, l.value);
  w.end_object();
}

HttpResponse targets(const HttpRequest& req, collect::ScrapeManager* manager) {
  std::string_view state = req.param("state");
  if (state.empty()) state = "any";
  if (state != "any" && state != "active" && state != "dropped") {
    return prom_error(Status::invalid_argument("state must be active, dropped or any"));
  }
  std::string_view pool = req.param("scrapePool");
  collect::TargetsSnapshot snap;
  if (manager != nullptr) snap = manager->targets();
  json::Writer w;
  w.begin_object();
  w.key("activeTargets").begin_array();
  if (state != "dropped") {
    for (const auto& t : snap.active) {
      if (!pool.empty() && t.pool != pool) continue;
      w.begin_object();
      w.key("discoveredLabels");
      labels_object(w, t.discovered);
      w.key("labels");
      labels_object(w, t.labels);
      w.kv("scrapePool", t.pool)
          .kv("scrapeUrl", t.url)
          .kv("globalUrl", t.url)
          .kv("lastError", t.health.last_error)
          .kv("lastScrape", t.health.last_scrape_ms == 0
                                ? std::string("0001-01-01T00:00:00Z")
                                : format_rfc3339_ms(t.health.last_scrape_ms))
          .kv("lastScrapeDuration", t.health.last_duration_s)
          .kv("health", t.health.health)
          .kv("scrapeInterval", format_duration_ms(t.interval_ms))
          .kv("scrapeTimeout", format_duration_ms(t.timeout_ms));
      w.end_object();
    }
  }
  w.end_array();
  w.key("droppedTargets").begin_array();
  if (state != "active") {
    for (const auto& t : snap.dropped) {
      if (!pool.empty() && t.pool != pool) continue;
      w.begin_object().key("discoveredLabels");
      labels_object(w, t.discovered);
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
  return prom_success(w.str());
}

}  // namespace

void register_targets_api(Router& router, collect::ScrapeManager* manager) {
  router.add("GET", "/api/v1/targets", [=](HttpRequest& r) { return targets(r, manager); });
}

}  // namespace opsight::api
