#pragma once
// JSON of the investigations API (POST /api/v1/investigations, GET /api/v1/investigations/<id>).
//
// Request body:
//   {"start": <ms> | "<RFC 3339>" | "now-30m", "end": ... (default now), "service"?: "...",
//    "alarm"?: "...", "incident"?: "..."}
// A number is Unix ms; a string is RFC 3339, "now" / "now-<duration>", a 13+ digit ms integer or
// Unix seconds (common/time_util.h parse_time_flexible_ms). Unknown members are ignored.
//
// Result document:
//   {"id", "status": "running|complete|failed", "start", "end", "baselineStart",
//    "service"?, "alarm"?, "incident"?, "error"?,
//    "hypotheses": [{"rank", "service", "component", "componentType", "kind", "score", "onset",
//                    "explanation", "evidence": [{"type", "title", "link", "data": {...}}]}],
//    "stats": {"spansScanned", "traces", "logEventsScanned", "seriesRead", "elapsedMs",
//              "complete", "stoppedBy"}}
// Times are Unix ms; evidence "data" is the evidence's data_json object inlined.
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "aiops/investigate/investigation.h"
#include "common/status.h"

namespace opsight::aiops {

// Parses a request body for `tenant`. InvalidArgument naming the field and the rule (a bad or
// missing "start", a bad "end", a non-string hint, start not before end, a window over 24 h).
Result<InvestigationRequest> parse_investigation_request(std::string_view body,
                                                         const storage::Tenant& tenant,
                                                         int64_t now_ms);

// The request as stored with a record: {"start", "end", "service"?, "alarm"?, "incident"?}.
std::string investigation_request_json(const InvestigationRequest& req);

// The result document. `result` may be null (running or failed: no hypotheses, no stats);
// `error` is written when not empty.
std::string investigation_result_json(std::string_view id, std::string_view status,
                                      const InvestigationRequest& req,
                                      const InvestigationResult* result, std::string_view error);

}  // namespace opsight::aiops
