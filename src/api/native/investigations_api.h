#pragma once
// Investigation endpoints of the native API (docs/investigations.md):
//
//   POST /api/v1/investigations        {"start", "end", "service"?, "alarm"?, "incident"?}
//                                      -> the result document (aiops/investigate/
//                                         investigation_json.h), "summary" added when the
//                                         optional summariser is configured
//   GET  /api/v1/investigations        ?limit= -> {"investigations": [{"id", "status",
//                                         "createdAt", "completedAt", "request"}]}, newest first
//   GET  /api/v1/investigations/:id    -> the stored result document
//
// With "incident" and no "start", the window is the incident's: from 10 minutes before its first
// signal to its last signal (now while it is open), at most 24 h; the top hypothesis is written to
// the incident's timeline. An investigation runs in the request (it answers in about a second
// over an hour of data); at most kMaxConcurrentInvestigations run at once, more get 429.
//
// Thread safety: the handlers share an atomic count of running investigations.

#include "aiops/correlate/incident_service.h"
#include "aiops/investigate/investigation_store.h"
#include "aiops/investigate/investigator.h"
#include "aiops/respond/summarizer.h"
#include "api/http/http.h"
#include "common/clock.h"

namespace opsight::api {

inline constexpr int kMaxConcurrentInvestigations = 2;
inline constexpr int64_t kIncidentLeadMs = 10 * 60 * 1000;

struct InvestigationsDeps {
  aiops::InvestigatorSources sources;
  aiops::InvestigatorOptions options;
  aiops::InvestigationStore* store;
  aiops::IncidentService* incidents;             // may be null
  const aiops::respond::Summarizer* summarizer;  // may be null or disabled
  Clock* clock;
};

void register_investigations_api(Router& router, const InvestigationsDeps& deps);

}  // namespace opsight::api
