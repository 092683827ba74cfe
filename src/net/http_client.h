#pragma once
// A minimal blocking HTTP/1.1 client (one request per connection): the CLI, tests, scraping
// and webhooks.

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace opsight::net {

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// `url`: http://host:port/path?query. Fails with Unavailable when the server cannot be reached.
Result<ClientResponse> http_request(
    const std::string& method, const std::string& url, const std::string& body = "",
    const std::vector<std::pair<std::string, std::string>>& headers = {}, int timeout_ms = 30'000);

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

}  // namespace opsight::net
