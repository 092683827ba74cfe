#pragma once
// Event endpoints of the native API: change events (deploys, config changes, scaling, feature
// flags; events/change_event.h) and EventBridge-style events (events/event.h) over the event
// store. docs/events.md has a curl example for each.
//
//   POST /api/v1/events/change   one change object, or {"changes": [...]} (1..100). The good
//                                changes are stored, each bad one is reported:
//                                -> {"ids": [...], "rejected": [{"index", "code", "message"}]}
//                                200 when any was stored; 400 when none was (the body then also
//                                carries "code" and "message" of the first rejection).
//   GET  /api/v1/events/change   ?start=&end=&service=&limit= -> {"changes": [...]}, oldest
//                                first; start defaults to now-24h, end to no bound, limit to
//                                1000 (1..10000). Times: Unix ms (13+ digits), Unix seconds,
//                                RFC 3339, "now" or "now-1h".
//   POST /api/v1/events          EventBridge PutEvents: {"Entries": [{"Source", "DetailType",
//                                "Detail" (a JSON object as a string), "Time"?, "Resources"?}]}
//                                (1..10 entries; "EventBusName" and "TraceHeader" are accepted
//                                and ignored). An entry with Source "opsight.change" and
//                                DetailType "Change Event" must hold a valid change, exactly as
//                                the native path checks it. -> {"FailedEntryCount",
//                                "Entries": [{"EventId"} | {"ErrorCode", "ErrorMessage"}]} in
//                                entry order, 200 even when entries failed (as PutEvents).
//   GET  /api/v1/events          ?source=&detail-type=&start=&end=&limit=&next_token=
//                                -> {"events": [envelopes], "next_token"} (next_token only
//                                when there is a next page); by time, then id.
//
// Errors: {"code", "message"}: 400 ValidationException (the message names the field and the
// rule), 413 for a body over 1 MiB, 429 LimitExceededException and 503
// ServiceUnavailableException with Retry-After, 500 InternalException.
//
// Thread safety: the handlers hold no state; the EventStore is thread-safe.

#include "api/http/http.h"
#include "common/clock.h"
#include "events/event_store.h"

namespace opsight::api {

struct EventsDeps {
  events::EventStore* store;
  Clock* clock;  // "now" of relative times and of changes without a time
};

void register_events_api(Router& router, const EventsDeps& deps);

}  // namespace opsight::api
