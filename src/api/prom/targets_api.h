#pragma once
// GET /api/v1/targets[?state=active|dropped|any][&scrapePool=<job>] in Prometheus's JSON shape:
//   {"status":"success","data":{"activeTargets":[{"discoveredLabels":{...},"labels":{...},
//    "scrapePool":"job","scrapeUrl":"http://...","globalUrl":"http://...","lastError":"",
//    "lastScrape":"<RFC 3339>","lastScrapeDuration":0.012,"health":"up",
//    "scrapeInterval":"15s","scrapeTimeout":"10s"}],
//    "droppedTargets":[{"discoveredLabels":{...}}]}}

#include "api/http/http.h"
#include "collect/scrape_manager.h"

namespace opsight::api {

// `manager` may be null (no scrape_configs): both lists are then empty.
void register_targets_api(Router& router, collect::ScrapeManager* manager);

}  // namespace opsight::api
