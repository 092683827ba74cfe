#pragma once
// What APM reads off one span: its HTTP request facts, whether it is an error, a fault or a
// throttle, and, for client and producer spans, the peer it calls. Shared by trace search
// (query/tracefilter), the service map and span-derived metrics so all three classify a span the
// same way.
//
// Attribute keys are the OpenTelemetry semantic conventions (HTTP spans, database client spans,
// messaging spans; semconv 1.20+ names first, the pre-1.20 names as fallback). X-Ray segments are
// mapped onto the same keys at ingest (storage/trace_store.h).
//
// Classification, after the X-Ray segment document's error/throttle/fault flags (X-Ray developer
// guide "Segment documents": error = 4xx, throttle = 429, fault = 5xx):
//   error    = HTTP status 400..499 (a 429 is both an error and a throttle), or, for X-Ray
//              spans, the attribute xray.error = true;
//   throttle = HTTP status 429, or xray.throttle = true;
//   fault    = HTTP status 500..599, xray.fault = true, or span status ERROR when the status is
//              not explained by an error (OTel HTTP client spans set ERROR for 4xx too);
//   ok       = none of the three.
//
// Inferred peers (uninstrumented services a client or producer span calls):
//   db.system set          -> type kDatabase, name db.namespace / db.name, else db.system;
//   messaging.system set   -> type kQueue, name messaging.destination.name /
//                             messaging.destination, else messaging.system;
//   peer.service           -> type kRemote, that name;
//   server.address / net.peer.name / http.host -> type kRemote, that host;
//   X-Ray client subsegments   -> type kRemote, the span name (X-Ray names a remote or AWS
//                                 subsegment after what it calls);
//   url.full / http.url        -> type kRemote, the URL's host.
//
// Thread safety: pure functions over immutable spans.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/trace_store.h"

namespace opsight::apm {

// The node types of the service map and of trace filters' id(type: ...).
inline constexpr std::string_view kServiceType = "service";
inline constexpr std::string_view kDatabaseType = "database";
inline constexpr std::string_view kQueueType = "queue";
inline constexpr std::string_view kRemoteType = "remote";

struct HttpFacts {
  std::string method;      // http.request.method | http.method
  std::string url;         // url.full | http.url | scheme://host[:port]path?query
  int status = 0;          // http.response.status_code | http.status_code; 0 when absent
  std::string user_agent;  // user_agent.original | http.user_agent
  std::string client_ip;   // client.address | http.client_ip
};

struct SpanClass {
  bool error = false;
  bool throttle = false;
  bool fault = false;
  bool ok() const { return !error && !throttle && !fault; }
};

struct Peer {
  std::string name;
  std::string_view type;  // kDatabaseType, kQueueType or kRemoteType
};

// The value of an indexed or not indexed span attribute `key`, else of a resource attribute;
// nullptr when neither has it.
const std::string* find_attribute(const storage::Span& span, std::string_view key);

HttpFacts http_facts(const storage::Span& span);
// The HTTP status code alone (cheaper than http_facts); 0 when absent or not a number.
int http_status(const storage::Span& span);
SpanClass classify(const storage::Span& span, int http_status);
inline SpanClass classify(const storage::Span& span) {
  return classify(span, http_status(span));
}

// The end user (X-Ray segment `user`): enduser.id | user; "" when absent.
std::string user_of(const storage::Span& span);

// The peer a client or producer span calls, when its attributes name one (see above); nullopt
// for other span kinds or when no attribute names a peer.
std::optional<Peer> infer_peer(const storage::Span& span);

// True for spans that begin a unit of work of their service: server and consumer spans, and
// spans without a parent (roots).
bool is_entry_span(const storage::Span& span);

// True for spans that call out of their service: client and producer spans.
inline bool is_exit_span(const storage::Span& span) {
  return span.kind == storage::SpanKind::kClient || span.kind == storage::SpanKind::kProducer;
}

}  // namespace opsight::apm
