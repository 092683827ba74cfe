// The X-Ray daemon: UDP segments and the TCP sampling proxy (xray_listener.h).
#include "server/xray_listener.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "api/aws/xray_api.h"
#include "api/http/server.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/self_metrics.h"
#include "ingest/aws/xray_segment.h"
#include "net/listen_address.h"

namespace opsight::server {
namespace {

constexpr size_t kMaxBatch = 256;  // datagrams decoded and committed together
constexpr int kPollMs = 200;       // how often the UDP thread looks at the stop flag
constexpr int64_t kWarnEveryMs = 10'000;

metrics::Counter* dropped_counter() {
  static metrics::Counter* c = metrics::Registry::global().counter(
      "opsight_xray_datagrams_dropped_total",
      "X-Ray daemon datagrams dropped (no valid header, truncated, or not stored)");
  return c;
}

class ListenerImpl final : public XrayListener {
 public:
  explicit ListenerImpl(const api::XrayApiDeps& deps) : deps_(deps) {
    api::register_xray_daemon_api(router_, deps_);
  }
  ~ListenerImpl() override { stop(); }

  Status open(const XrayDaemonOptions& o) {
    ASSIGN_OR_RETURN(sockaddr_in addr, net::ipv4_listen_address(o.listen, "xray.listen"));
    // TCP first (the HTTP server picks the port when it is 0), then UDP on the same port.
    api::HttpServerOptions ho;
    ho.listen = o.listen;
    ho.io_threads = 1;
    ho.workers = 2;
    ho.max_queued_requests = 64;
    ho.max_body_bytes = 1 << 20;
    ho.max_connections = o.max_connections;
    ho.ingest_prefixes = {};
    auto http = api::HttpServer::start(ho, &router_);
    if (!http.ok()) {
      return Status(http.status().code(), fmt::format("X-Ray daemon: cannot listen on tcp {}: {}",
                                                      o.listen, http.status().message()));
    }
    http_ = std::move(*http);
    port_ = http_->port();
    addr.sin_port = htons(port_);
    udp_fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (udp_fd_ < 0) return Status::io_error(fmt::format("socket: {}", std::strerror(errno)));
    int buf = 4 << 20;  // absorb bursts while a batch is committed
    setsockopt(udp_fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    if (::bind(udp_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return Status::io_error(
          fmt::format("X-Ray daemon: cannot listen on udp {}: {}", o.listen, std::strerror(errno)));
    }
    thread_ = std::thread([this] { udp_loop(); });
    log::info("X-Ray daemon listening on udp and tcp {} (port {})", o.listen, port_);
    return OkStatus();
  }

  void stop() override {
    if (stopping_.exchange(true)) return;
    if (thread_.joinable()) thread_.join();
    if (http_) http_->stop(1000);
    if (udp_fd_ >= 0) ::close(udp_fd_);
    udp_fd_ = -1;
  }

  uint16_t port() const override { return port_; }

 private:
  // Logs at most one warning per kWarnEveryMs.
  void warn(std::string_view what) {
    const int64_t now = Clock::real()->mono_ns() / 1'000'000;
    if (now - last_warn_ms_ < kWarnEveryMs) return;
    last_warn_ms_ = now;
    log::warn("X-Ray daemon: {}", what);
  }

  void udp_loop() {
    // One byte more than the largest allowed datagram, so a longer one is seen as truncated.
    std::vector<char> buf(ingest::aws::kMaxXrayDocumentBytes + 1);
    std::vector<std::string> datagrams;
    while (!stopping_) {
      pollfd p{udp_fd_, POLLIN, 0};
      if (::poll(&p, 1, kPollMs) <= 0) continue;
      datagrams.clear();
      while (datagrams.size() < kMaxBatch) {
        const ssize_t n = ::recv(udp_fd_, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) break;
        if (static_cast<size_t>(n) > ingest::aws::kMaxXrayDocumentBytes) {
          dropped_counter()->inc();
          warn(fmt::format("dropped a {}-byte datagram: at most {} bytes are allowed", n,
                           ingest::aws::kMaxXrayDocumentBytes));
          continue;
        }
        datagrams.emplace_back(buf.data(), static_cast<size_t>(n));
      }
      write(datagrams);
    }
  }

  void write(const std::vector<std::string>& datagrams) {
    std::vector<std::string_view> docs;
    docs.reserve(datagrams.size());
    for (const auto& d : datagrams) {
      auto doc = ingest::aws::xray_datagram_document(d);
      if (!doc.ok()) {
        dropped_counter()->inc();
        warn(doc.status().message());
        continue;
      }
      docs.push_back(*doc);
    }
    if (docs.empty()) return;
    auto r = api::write_xray_segments(deps_, storage::Tenant{}, docs);
    if (!r.ok()) {
      dropped_counter()->inc(docs.size());
      warn(fmt::format("{} segment documents not stored: {}", docs.size(), r.status().message()));
      return;
    }
    if (!r->rejected.empty()) {
      warn(fmt::format("{} of {} segment documents rejected, e.g. {}", r->rejected.size(),
                       docs.size(), r->rejected[0].second));
    }
  }

  api::XrayApiDeps deps_;
  api::Router router_;
  std::unique_ptr<api::HttpServer> http_;
  int udp_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  int64_t last_warn_ms_ = -kWarnEveryMs;  // used by the UDP thread only
};

}  // namespace

Result<std::unique_ptr<XrayListener>> XrayListener::start(const XrayDaemonOptions& options,
                                                          const api::XrayApiDeps& deps) {
  auto l = std::make_unique<ListenerImpl>(deps);
  RETURN_IF_ERROR(l->open(options));
  return std::unique_ptr<XrayListener>(std::move(l));
}

}  // namespace opsight::server
