#pragma once
// A minimal blocking HTTP/1.1 client (one request per connection): the CLI, tests, scraping
// and webhooks.

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace opsight::net {

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  // Response headers with lower-cased names (filled by http_fetch).
  std::vector<std::pair<std::string, std::string>> headers;

  // First value of a header (lower-case name), or "".
  std::string_view header(std::string_view lower_name) const;
};

// `url`: http://host:port/path?query. Fails with Unavailable when the server cannot be reached.
Result<ClientResponse> http_request(
    const std::string& method, const std::string& url, const std::string& body = "",
    const std::vector<std::pair<std::string, std::string>>& headers = {}, int timeout_ms = 30'000);

struct FetchOptions {
  // Deadline of the whole exchange (resolve, connect, send, receive): DeadlineExceeded after it.
  int64_t timeout_ms = 30'000;
  // A larger response body fails with ResourceExhausted (the body as sent, before any
  // Content-Encoding is undone by the caller).
  uint64_t max_body_bytes = 1ull << 32;
  // Checked every 50 ms; when it becomes true the request is aborted with Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

// Like http_request, but the timeout really bounds the exchange (asynchronous I/O under a
// deadline), the response body is limited, the caller can cancel, and response headers are
// returned. Unavailable when the server cannot be reached. Blocking; thread-safe (one
// io_context per call).
Result<ClientResponse> http_fetch(const std::string& method, const std::string& url,
                                  const std::string& body,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  const FetchOptions& options);

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

}  // namespace opsight::net
