#pragma once
// Incident endpoints of the native API (docs/incidents.md): a JSON front end over
// aiops::IncidentService, plus runbook runs (aiops::respond::RunbookRunner) recorded in the
// timeline.
//
//   GET  /api/v1/incidents                 ?state=open|acknowledged|resolved&service=&start=&end=
//                                          &limit= -> {"incidents": [incident without keys]}
//   GET  /api/v1/incidents/:id             -> incident (with keys) + "timeline": [entries]
//   POST /api/v1/incidents/:id/ack         {"author"?, "note"?} -> the incident
//   POST /api/v1/incidents/:id/resolve     {"author"?, "note"?} -> the incident
//   POST /api/v1/incidents/:id/notes       {"author"?, "text"} -> the incident
//   POST /api/v1/incidents/:id/runbooks/:name  {"author"?} -> the run's result (also in the
//                                          timeline as an "action" entry)
// Errors: {"code", "message"}: 400 InvalidParameterValue naming the field, 404 ResourceNotFound,
// 409 InvalidStateTransition (e.g. resolving a resolved incident), 413 for a body over 64 KiB.
//
// Thread safety: the handlers hold no state; the services are thread-safe.

#include "aiops/correlate/incident_service.h"
#include "aiops/respond/runbooks.h"
#include "api/http/http.h"
#include "common/clock.h"

namespace opsight::api {

struct IncidentsDeps {
  aiops::IncidentService* incidents;
  aiops::respond::RunbookRunner* runbooks;  // may be null: no runbooks configured
  Clock* clock;
};

void register_incidents_api(Router& router, const IncidentsDeps& deps);

// {"code", "message"} with the HTTP status of the Status code (409 for FailedPrecondition), and
// Retry-After on 429/503. Shared by the AIOps endpoints.
HttpResponse aiops_error(const Status& st);

}  // namespace opsight::api
