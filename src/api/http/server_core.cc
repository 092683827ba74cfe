#include "api/http/server_core.h"

#include <algorithm>
#include <chrono>

#include "common/logging.h"
#include "net/tcp_listen.h"

namespace opsight::api {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

ServerCore::ServerCore(size_t workers, size_t max_queued_requests, size_t max_connections)
    : max_connections_(max_connections),
      acceptor_(ioc_),
      workers_(std::max<size_t>(1, workers), max_queued_requests) {}

ServerCore::~ServerCore() {
  stop(0);
}

Status ServerCore::listen(const std::string& address, std::string_view config_key, int io_threads,
                          OnConnection on_connection) {
  RETURN_IF_ERROR(net::open_tcp_acceptor(acceptor_, address, config_key));
  port_ = acceptor_.local_endpoint().port();
  on_connection_ = std::move(on_connection);
  accept();
  for (int i = 0; i < std::max(1, io_threads); i++) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  return OkStatus();
}

void ServerCore::accept() {
  acceptor_.async_accept(asio::make_strand(ioc_),
                         [this](boost::system::error_code ec, tcp::socket socket) {
                           if (ec) {
                             if (!stopped_) accept();
                             return;
                           }
                           if (connections.load() >= max_connections_) {
                             boost::system::error_code ignore;
                             socket.close(ignore);
                           } else {
                             on_connection_(std::move(socket));
                           }
                           accept();
                         });
}

bool ServerCore::submit(std::function<void()> task) {
  inflight_++;
  if (workers_.try_submit([this, task = std::move(task)] {
        task();
        inflight_--;
      })) {
    return true;
  }
  inflight_--;
  return false;
}

void ServerCore::stop(int64_t drain_ms) {
  if (stopped_.exchange(true)) return;
  asio::post(ioc_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  // Wait for in-flight requests (queued or running) to finish.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_ms);
  while (inflight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  workers_.shutdown();
  ioc_.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

HttpResponse dispatch_guarded(const Router& router, HttpRequest& req) {
  try {
    if (router.gate()) {
      if (auto refused = router.gate()(req)) return std::move(*refused);
    }
    return router.dispatch(req);
  } catch (const std::exception& e) {
    log::error("handler for {} {} threw: {}", req.method, req.path, e.what());
    return HttpResponse::text(500, std::string("internal error: ") + e.what());
  }
}

}  // namespace opsight::api
