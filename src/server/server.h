#pragma once
// Wiring of one opsight process: data directory (locked), storage engines, HTTP front ends.
// Start order: lock data dir -> open stores (WAL replay) -> build routes -> listen.
// Shutdown order: stop accepting and drain HTTP -> close stores (flush + fsync) -> unlock.

#include <memory>

#include "common/status.h"
#include "server/config.h"

namespace opsight::server {

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(const ServerConfig& config);
  virtual ~Server() = default;
  virtual uint16_t http_port() const = 0;
  // Re-reads the rule files (SIGHUP, POST /-/reload); on error the running rules stay.
  virtual Status reload() = 0;
  // Drains in-flight requests, flushes and fsyncs all stores. Idempotent.
  virtual Status shutdown() = 0;
};

// `opsight serve`: starts, waits for SIGTERM or SIGINT, shuts down. Returns the exit code.
int run_serve(const ServerConfig& config);

}  // namespace opsight::server
