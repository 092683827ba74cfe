#pragma once
// The HTTP/1.1 server (Boost.Beast inside server.cc only). I/O runs on a few io threads;
// handlers run on a bounded worker pool, so a slow handler (e.g. one waiting for a WAL fsync)
// never stalls I/O. When the worker queue is full the server answers at once: 429 for routes
// registered as ingest routes, 503 otherwise, both with Retry-After — memory stays bounded by
// max_connections x max_body_bytes and the queue length.
// stop() stops accepting, lets in-flight requests finish (up to a drain timeout), then closes.

#include <cstdint>
#include <memory>
#include <string>

#include "api/http/http.h"
#include "common/status.h"

namespace opsight::api {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:4318";  // host:port; port 0 picks a free port
  int io_threads = 2;
  int workers = 16;
  size_t max_queued_requests = 512;
  uint64_t max_body_bytes = 64ull << 20;  // larger bodies: 413
  size_t max_connections = 4096;
  int64_t idle_timeout_ms = 120'000;
  // Paths with this prefix list are "ingest" for overload answers (429 instead of 503).
  std::vector<std::string> ingest_prefixes = {"/api/v1/write", "/v1/", "/api/v1/import",
                                              "/api/v1/metrics/put"};
};

class HttpServer {
 public:
  // Binds and starts serving. `router` must outlive the server.
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options,
                                                   const Router* router);
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting, waits up to drain_ms for in-flight requests, closes all connections.
  virtual void stop(int64_t drain_ms) = 0;
};

}  // namespace opsight::api
