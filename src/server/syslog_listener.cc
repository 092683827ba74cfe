#include "server/syslog_listener.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "common/self_metrics.h"
#include "ingest/logs/log_writer.h"
#include "ingest/logs/syslog.h"
#include "ingest/logs/syslog_framer.h"
#include "net/listen_address.h"

namespace opsight::server {
namespace {

constexpr size_t kMaxDatagram = 64 * 1024;
constexpr size_t kMaxBatch = 512;  // datagrams written together
constexpr int kPollMs = 200;       // how often blocked threads look at the stop flag

struct Probe {
  metrics::Counter* received;
  metrics::Counter* rejected;
  Probe() {
    auto& r = metrics::Registry::global();
    received = r.counter("opsight_syslog_messages_received_total", "Syslog messages received");
    rejected = r.counter("opsight_syslog_messages_rejected_total",
                         "Syslog messages that could not be parsed or stored");
  }
};

Probe& probe() {
  static Probe p;
  return p;
}

Result<int> bind_socket(const std::string& listen, int type, uint16_t* port) {
  ASSIGN_OR_RETURN(sockaddr_in a, net::ipv4_listen_address(listen, "syslog listen address"));
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::io_error(fmt::format("socket: {}", std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 64) != 0)) {
    Status st = Status::io_error(
        fmt::format("syslog: cannot listen on {}: {}", listen, std::strerror(errno)));
    ::close(fd);
    return st;
  }
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

std::string peer_name(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a.sin_addr, buf, sizeof(buf));
  return buf;
}

// Waits until fd is readable or kPollMs passed; false on timeout.
bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, kPollMs) > 0;
}

class ListenerImpl final : public SyslogListener {
 public:
  ListenerImpl(storage::LogStore* store, Clock* clock, ingest::LogLimits limits, size_t max_conns)
      : store_(store), clock_(clock), limits_(limits), max_connections_(max_conns) {}

  ~ListenerImpl() override { stop(); }

  Status open(const SyslogOptions& o) {
    write_options_.metrics = o.metrics;
    write_options_.metric_limits = o.metric_limits;
    write_options_.metric_filters = o.metric_filters;
    write_options_.extract_emf = false;
    if (!o.udp_listen.empty()) {
      ASSIGN_OR_RETURN(udp_fd_, bind_socket(o.udp_listen, SOCK_DGRAM, &udp_port_));
      threads_.emplace_back([this] { udp_loop(); });
      log::info("syslog listening on udp {} (port {})", o.udp_listen, udp_port_);
    }
    if (!o.tcp_listen.empty()) {
      ASSIGN_OR_RETURN(tcp_fd_, bind_socket(o.tcp_listen, SOCK_STREAM, &tcp_port_));
      threads_.emplace_back([this] { accept_loop(); });
      log::info("syslog listening on tcp {} (port {})", o.tcp_listen, tcp_port_);
    }
    return OkStatus();
  }

  void stop() override {
    if (stopping_.exchange(true)) return;
    for (auto& t : threads_) t.join();
    std::vector<Connection> conns;
    {
      std::lock_guard<std::mutex> lock(mu_);
      conns.swap(connections_);
    }
    for (auto& c : conns) c.thread.join();
    if (udp_fd_ >= 0) ::close(udp_fd_);
    if (tcp_fd_ >= 0) ::close(tcp_fd_);
    udp_fd_ = tcp_fd_ = -1;
  }

  uint16_t udp_port() const override { return udp_port_; }
  uint16_t tcp_port() const override { return tcp_port_; }

 private:
  // Parses and writes one batch of messages from one peer (durable on return).
  void write(std::span<const std::string> messages, const std::string& peer) {
    if (messages.empty()) return;
    probe().received->inc(messages.size());
    ingest::LogBatch batch;
    ingest::logs::decode_syslog_messages(messages, clock_->now_ms(), peer, limits_, &batch);
    auto out =
        ingest::logs::write_log_batch(*store_, storage::Tenant{}, std::move(batch), write_options_);
    if (!out.status.ok()) {
      probe().rejected->inc(messages.size());
      log::warn("syslog: {} messages from {} not stored: {}", messages.size(), peer,
                out.status.message());
      return;
    }
    probe().rejected->inc(out.errors.size());
    for (size_t i = 0; i < std::min<size_t>(out.errors.size(), 3); i++) {
      log::warn("syslog from {}: {}: {}", peer, out.errors[i].item, out.errors[i].message);
    }
  }

  void udp_loop() {
    std::vector<char> buf(kMaxDatagram);
    while (!stopping_) {
      if (!wait_readable(udp_fd_)) continue;
      // Drain what is queued (up to kMaxBatch) and write it per peer in one commit each.
      std::vector<std::pair<std::string, std::string>> got;  // peer, message
      while (got.size() < kMaxBatch) {
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        ssize_t n = ::recvfrom(udp_fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) break;
        std::string msg(buf.data(), static_cast<size_t>(n));
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\0')) msg.pop_back();
        got.emplace_back(peer_name(from), std::move(msg));
      }
      std::sort(got.begin(), got.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 0; i < got.size();) {
        size_t j = i;
        std::vector<std::string> msgs;
        while (j < got.size() && got[j].first == got[i].first) msgs.push_back(got[j++].second);
        write(msgs, got[i].first);
        i = j;
      }
    }
  }

  void accept_loop() {
    while (!stopping_) {
      if (!wait_readable(tcp_fd_)) continue;
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      int fd = ::accept4(tcp_fd_, reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      reap_locked();
      if (connections_.size() >= max_connections_) {
        log::warn(
            "syslog: refusing a connection from {}: {} connections open "
            "(syslog.max_connections)",
            peer_name(from), connections_.size());
        ::close(fd);
        continue;
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      std::thread t([this, fd, done, peer = peer_name(from)] {
        serve(fd, peer);
        *done = true;
      });
      connections_.push_back({std::move(t), done});
    }
  }

  // Joins the threads of closed connections.
  void reap_locked() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (*it->done) {
        it->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void serve(int fd, const std::string& peer) {
    ingest::logs::SyslogFramer framer(limits_.max_message_bytes + 1024);
    std::vector<char> buf(256 * 1024);
    std::vector<std::string> frames;
    bool open = true;
    while (open && !stopping_) {
      if (!wait_readable(fd)) continue;
      ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      frames.clear();
      Status st;
      if (n > 0) {
        st = framer.feed(std::string_view(buf.data(), static_cast<size_t>(n)), &frames);
      } else {
        open = false;
        st = framer.finish(&frames);
      }
      write(frames, peer);
      if (!st.ok()) {
        log::warn("syslog: closing the connection from {}: {}", peer, st.message());
        open = false;
      }
    }
    ::close(fd);
  }

  storage::LogStore* store_;
  Clock* clock_;
  ingest::LogLimits limits_;
  ingest::logs::LogWriteOptions write_options_;  // set by open(), before any thread starts
  size_t max_connections_;
  int udp_fd_ = -1, tcp_fd_ = -1;
  uint16_t udp_port_ = 0, tcp_port_ = 0;
  std::atomic<bool> stopping_{false};
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<Connection> connections_;  // guarded by mu_; reaped on accept, joined at stop()
};

}  // namespace

Result<std::unique_ptr<SyslogListener>> SyslogListener::start(const SyslogOptions& options,
                                                              storage::LogStore* store,
                                                              Clock* clock,
                                                              ingest::LogLimits limits) {
  auto l = std::make_unique<ListenerImpl>(store, clock, limits, options.max_connections);
  RETURN_IF_ERROR(l->open(options));
  return std::unique_ptr<SyslogListener>(std::move(l));
}

}  // namespace opsight::server
