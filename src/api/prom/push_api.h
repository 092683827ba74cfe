#pragma once
// Push like the Pushgateway (github.com/prometheus/pushgateway README, "API"):
//   PUT    /metrics/job/<job>{/<label>/<value>}   replace the group
//   POST   /metrics/job/<job>{/<label>/<value>}   replace the pushed families in the group
//   DELETE /metrics/job/<job>{/<label>/<value>}   delete the group
// `job@base64` / `<label>@base64` take a base64url value (RFC 4648 section 5; padding optional,
// "=" for an empty value); other segments are percent-decoded. Bodies are the text format
// 0.0.4 (OpenMetrics when the Content-Type says so), optionally gzip-compressed; protobuf bodies
// are answered 415. Success: 200 (PUT/POST), 202 (DELETE); a bad body: 400 naming every bad
// line, nothing changed.

#include "api/http/http.h"
#include "collect/push_registry.h"
#include "common/labels.h"
#include "ingest/metric_batch.h"

namespace opsight::api {

void register_push_api(Router& router, collect::PushRegistry* registry,
                       const ingest::Limits& limits);

// The grouping labels of a push path after "/metrics/" ("job/a/instance/b", raw, still
// percent-encoded). Errors name the segment and the rule.
Result<Labels> parse_push_grouping(std::string_view raw_path);

}  // namespace opsight::api
