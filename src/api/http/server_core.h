#pragma once
// What the HTTP/1.1 server and the OTLP/gRPC server share (both are Asio servers feeding the
// same Router): an io_context run by `io_threads` threads; an acceptor that hands each socket, on
// its own strand, to `on_connection` and closes sockets beyond max_connections; a bounded worker
// queue for handlers, counting the requests in flight; and stop(), which closes the acceptor,
// waits up to drain_ms for the requests in flight, then stops the workers and io threads.
// Included only by the two servers' .cc files (it pulls in Asio).
//
// Thread safety: listen() and stop() from the owning thread; submit() and `connections` from any.

#include <utility>  // before Asio, whose awaitable.hpp uses std::exchange

#include <boost/asio.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/http/http.h"
#include "common/status.h"
#include "common/work_queue.h"

namespace opsight::api {

class ServerCore {
 public:
  using OnConnection = std::function<void(boost::asio::ip::tcp::socket)>;

  ServerCore(size_t workers, size_t max_queued_requests, size_t max_connections);
  ~ServerCore();  // stop(0)
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  // Binds `address` (`config_key` names it in errors) and starts accepting.
  Status listen(const std::string& address, std::string_view config_key, int io_threads,
                OnConnection on_connection);
  uint16_t port() const { return port_; }
  void stop(int64_t drain_ms);

  // Runs `task` on a worker, counted in flight until it returns; false (nothing runs) when the
  // queue is full.
  bool submit(std::function<void()> task);

  // Live connections: each connection object increments it on creation and decrements it on
  // destruction.
  std::atomic<size_t> connections{0};

 private:
  void accept();

  const size_t max_connections_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  WorkQueue workers_;
  OnConnection on_connection_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> inflight_{0};
  uint16_t port_ = 0;
};

// The router's gate (Router::set_gate), then router.dispatch(req), with a handler's exception
// answered as a 500 naming it (and logged).
HttpResponse dispatch_guarded(const Router& router, HttpRequest& req);

}  // namespace opsight::api
