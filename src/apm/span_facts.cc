#include "apm/span_facts.h"

#include <charconv>

namespace opsight::apm {
namespace {

const std::string* find_in(const std::vector<storage::SpanAttribute>& attrs, std::string_view key) {
  for (const auto& a : attrs) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

// The first non-empty attribute among `keys`, or "".
std::string first_of(const storage::Span& span, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    const std::string* v = find_attribute(span, k);
    if (v != nullptr && !v->empty()) return *v;
  }
  return {};
}

int parse_status(const std::string* v) {
  if (v == nullptr) return 0;
  int out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < 0 || out > 999) return 0;
  return out;
}

// The host of an absolute URL ("https://api.example.com:8443/x" -> "api.example.com"); "" when
// there is none.
std::string url_host(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (const size_t at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (!url.empty() && url.front() == '[') return std::string(url.substr(0, url.find(']') + 1));
  return std::string(url.substr(0, url.find(':')));
}

}  // namespace

const std::string* find_attribute(const storage::Span& span, std::string_view key) {
  const std::string* v = find_in(span.attributes, key);
  return v != nullptr ? v : find_in(span.resource_attributes, key);
}

int http_status(const storage::Span& span) {
  const std::string* v = find_in(span.attributes, "http.response.status_code");
  if (v == nullptr) v = find_in(span.attributes, "http.status_code");
  return parse_status(v);
}

HttpFacts http_facts(const storage::Span& span) {
  HttpFacts h;
  h.method = first_of(span, {"http.request.method", "http.method"});
  h.url = first_of(span, {"url.full", "http.url"});
  if (h.url.empty()) {
    // Server spans (semconv 1.20+) carry the parts, not the full URL.
    std::string path = first_of(span, {"url.path", "http.target"});
    std::string host = first_of(span, {"server.address", "http.host", "net.host.name"});
    if (!host.empty()) {
      std::string scheme = first_of(span, {"url.scheme", "http.scheme"});
      std::string port = first_of(span, {"server.port", "net.host.port"});
      h.url = (scheme.empty() ? "http" : scheme) + "://" + host;
      if (!port.empty() && port != "80" && port != "443") h.url += ":" + port;
    }
    h.url += path;
    const std::string* q = find_attribute(span, "url.query");
    if (q != nullptr && !q->empty() && path.find('?') == std::string::npos) h.url += "?" + *q;
  }
  h.status = http_status(span);
  h.user_agent = first_of(span, {"user_agent.original", "http.user_agent"});
  h.client_ip = first_of(span, {"client.address", "http.client_ip"});
  return h;
}

SpanClass classify(const storage::Span& span, int status) {
  SpanClass c;
  c.error = status >= 400 && status < 500;
  c.throttle = status == 429;
  if (span.origin == storage::SpanOrigin::kXray) {
    auto flag = [&](std::string_view key) {
      const std::string* v = find_in(span.attributes, key);
      return v != nullptr && *v == "true";
    };
    c.error = c.error || flag("xray.error");
    c.throttle = c.throttle || flag("xray.throttle");
    c.fault = flag("xray.fault");
  }
  c.fault =
      c.fault || status >= 500 || (span.status_code == storage::SpanStatusCode::kError && !c.error);
  return c;
}

std::string user_of(const storage::Span& span) {
  return first_of(span, {"enduser.id", "user"});
}

std::optional<Peer> infer_peer(const storage::Span& span) {
  if (!is_exit_span(span)) return std::nullopt;
  std::string v = first_of(span, {"db.system"});
  if (!v.empty()) {
    std::string name = first_of(span, {"db.namespace", "db.name"});
    return Peer{name.empty() ? v : name, kDatabaseType};
  }
  v = first_of(span, {"messaging.system"});
  if (!v.empty()) {
    std::string name = first_of(span, {"messaging.destination.name", "messaging.destination"});
    return Peer{name.empty() ? v : name, kQueueType};
  }
  v = first_of(span, {"peer.service", "server.address", "net.peer.name", "http.host"});
  if (!v.empty()) return Peer{v, kRemoteType};
  // X-Ray remote and AWS subsegments are named after what they call.
  if (span.origin == storage::SpanOrigin::kXray && !span.name.empty()) {
    return Peer{span.name, kRemoteType};
  }
  v = url_host(first_of(span, {"url.full", "http.url"}));
  if (!v.empty()) return Peer{v, kRemoteType};
  return std::nullopt;
}

bool is_entry_span(const storage::Span& span) {
  return span.parent_span_id.empty() || span.kind == storage::SpanKind::kServer ||
         span.kind == storage::SpanKind::kConsumer;
}

}  // namespace opsight::apm
