#pragma once
// The OTLP/gRPC listener (default 127.0.0.1:4317): HTTP/2 cleartext with prior knowledge, one
// http2::Session per connection, each unary call translated by grpc_bridge.h into the OTLP/HTTP
// request and dispatched on the same Router as the HTTP server. Boost.Asio lives in
// grpc_server.cc only.
//
// Concurrency: io threads run the sockets (one strand per connection); handlers run on a
// bounded worker pool, so a handler waiting for a WAL fsync never stalls I/O. When the queue is
// full a call is answered at once with UNAVAILABLE and a RetryInfo (OTLP's throttling answer).
// Limits: max_message_bytes (the HTTP server's max body), max_concurrent_streams and
// max_header_list_size (advertised in SETTINGS), max_connections (further connections are
// closed), idle_timeout_ms (an idle connection gets GOAWAY and is closed). A protocol error
// closes the connection after a GOAWAY naming it.
// stop() stops accepting, waits up to drain_ms for calls in flight, then closes.

#include <cstdint>
#include <memory>
#include <string>

#include "api/http/http.h"
#include "common/status.h"

namespace opsight::api {

struct GrpcServerOptions {
  std::string listen = "127.0.0.1:4317";  // host:port; port 0 picks a free port
  int io_threads = 1;
  int workers = 8;
  size_t max_queued_requests = 256;
  uint64_t max_message_bytes = 64ull << 20;
  uint32_t max_concurrent_streams = 100;
  uint32_t max_header_list_size = 16u << 10;
  size_t max_connections = 1024;
  int64_t idle_timeout_ms = 300'000;
};

class GrpcServer {
 public:
  // Binds and starts serving. `router` must outlive the server.
  static Result<std::unique_ptr<GrpcServer>> start(const GrpcServerOptions& options,
                                                   const Router* router);
  virtual ~GrpcServer() = default;
  virtual uint16_t port() const = 0;
  virtual void stop(int64_t drain_ms) = 0;
};

}  // namespace opsight::api
