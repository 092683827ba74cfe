#include "api/grpc/grpc_server.h"

#include <boost/asio.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <thread>
#include <variant>

#include "api/grpc/grpc_bridge.h"
#include "api/http/server_core.h"
#include "common/logging.h"
#include "common/self_metrics.h"
#include "common/work_queue.h"
#include "net/http2/session.h"
#include "net/tcp_listen.h"

namespace opsight::api {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct Probe {
  metrics::Counter* calls;
  metrics::Counter* rejected_overload;
  metrics::Counter* protocol_errors;
  metrics::Gauge* connections;
  Probe() {
    auto& r = metrics::Registry::global();
    calls = r.counter("opsight_grpc_calls_total", "gRPC calls received");
    rejected_overload = r.counter("opsight_grpc_overload_rejections_total",
                                  "gRPC calls answered UNAVAILABLE because the queue was full");
    protocol_errors = r.counter("opsight_grpc_protocol_errors_total",
                                "HTTP/2 connections closed with a GOAWAY error");
    connections = r.gauge("opsight_grpc_open_connections", "Open gRPC connections");
  }
};

Probe& probe() {
  static Probe p;
  return p;
}

class ServerImpl;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, ServerImpl* server);
  ~Connection();
  void start();
  // On the connection's strand: answers one call.
  void reply(uint32_t stream_id, const grpc::GrpcReply& r);
  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  void read();
  void on_read(error_code ec, size_t n);
  void maybe_write();
  void arm_idle_timer();
  void close();

  tcp::socket socket_;
  asio::steady_timer idle_timer_;
  ServerImpl* server_;
  http2::Session session_;
  std::array<char, 16384> read_buf_{};
  std::string write_buf_;
  bool writing_ = false;
  bool closed_ = false;
  bool fatal_ = false;  // protocol error: write the GOAWAY, then close
  std::string remote_addr_;
  std::chrono::steady_clock::time_point last_activity_;
};

class ServerImpl final : public GrpcServer {
 public:
  ServerImpl(const GrpcServerOptions& o, const Router* router)
      : options_(o),
        router_(router),
        core_(static_cast<size_t>(std::max(1, o.workers)), o.max_queued_requests,
              o.max_connections) {}

  ~ServerImpl() override { stop(0); }

  Status listen() {
    return core_.listen(options_.listen, "otlp_grpc.listen", options_.io_threads,
                        [this](tcp::socket socket) {
                          std::make_shared<Connection>(std::move(socket), this)->start();
                        });
  }

  uint16_t port() const override { return core_.port(); }
  void stop(int64_t drain_ms) override { core_.stop(drain_ms); }

  // On the connection's strand, for each complete call.
  void dispatch(const std::shared_ptr<Connection>& conn, const http2::Request& call,
                const std::string& remote_addr) {
    probe().calls->inc();
    grpc::BridgeOptions bo;
    bo.max_message_bytes = options_.max_message_bytes;
    auto translated = grpc::to_http_request(call, bo, remote_addr);
    if (auto* immediate = std::get_if<grpc::GrpcReply>(&translated)) {
      conn->reply(call.stream_id, *immediate);
      return;
    }
    auto task = [this, conn, id = call.stream_id,
                 req = std::get<HttpRequest>(std::move(translated))]() mutable {
      grpc::GrpcReply r = grpc::from_http_response(dispatch_guarded(*router_, req));
      asio::post(conn->executor(), [conn, id, r = std::move(r)] { conn->reply(id, r); });
    };
    if (!core_.submit(std::move(task))) {
      probe().rejected_overload->inc();
      conn->reply(call.stream_id, grpc::overloaded_reply());
    }
  }

  const GrpcServerOptions& options() const { return options_; }
  std::atomic<size_t>& connections() { return core_.connections; }

 private:
  GrpcServerOptions options_;
  const Router* router_;
  ServerCore core_;
};

http2::SessionOptions session_options(const GrpcServerOptions& o) {
  http2::SessionOptions s;
  s.max_concurrent_streams = o.max_concurrent_streams;
  s.max_header_list_size = o.max_header_list_size;
  // The framed message is 5 bytes longer than the protobuf message.
  s.max_body_bytes = o.max_message_bytes + 5;
  return s;
}

Connection::Connection(tcp::socket socket, ServerImpl* server)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      server_(server),
      session_(session_options(server->options())) {
  server_->connections()++;
  probe().connections->add(1);
  error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) remote_addr_ = ep.address().to_string();
  socket_.set_option(tcp::no_delay(true), ec);
}

Connection::~Connection() {
  server_->connections()--;
  probe().connections->add(-1);
}

void Connection::start() {
  auto self = shared_from_this();
  asio::dispatch(socket_.get_executor(), [self] {
    self->last_activity_ = std::chrono::steady_clock::now();
    self->maybe_write();  // the server preface
    self->read();
    self->arm_idle_timer();
  });
}

void Connection::read() {
  if (closed_ || fatal_) return;
  socket_.async_read_some(
      asio::buffer(read_buf_),
      [self = shared_from_this()](error_code ec, size_t n) { self->on_read(ec, n); });
}

void Connection::on_read(error_code ec, size_t n) {
  if (closed_) return;
  if (ec) {
    close();
    return;
  }
  last_activity_ = std::chrono::steady_clock::now();
  Status st = session_.receive(std::string_view(read_buf_.data(), n));
  if (!st.ok()) {
    probe().protocol_errors->inc();
    log::debug("gRPC connection from {} closed: {}", remote_addr_, st.message());
    fatal_ = true;
  }
  auto self = shared_from_this();
  for (const auto& call : session_.take_requests()) server_->dispatch(self, call, remote_addr_);
  maybe_write();
  read();
}

void Connection::reply(uint32_t stream_id, const grpc::GrpcReply& r) {
  if (closed_) return;
  std::vector<http2::HeaderField> headers, trailers;
  std::string body;
  r.to_http2(&headers, &body, &trailers);
  session_.respond(stream_id, headers, std::move(body), std::move(trailers));
  maybe_write();
}

void Connection::maybe_write() {
  if (closed_ || writing_) return;
  write_buf_ = session_.take_output();
  if (write_buf_.empty()) {
    if (fatal_ || session_.should_close()) close();
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_buf_),
                    [self = shared_from_this()](error_code ec, size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->maybe_write();
                    });
}

void Connection::arm_idle_timer() {
  if (closed_) return;
  idle_timer_.expires_after(std::chrono::milliseconds(server_->options().idle_timeout_ms));
  idle_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->closed_) return;
    const auto idle = std::chrono::steady_clock::now() - self->last_activity_;
    if (self->session_.open_streams() == 0 &&
        idle >= std::chrono::milliseconds(self->server_->options().idle_timeout_ms)) {
      self->session_.shutdown();  // GOAWAY(NO_ERROR); closes once written
      self->maybe_write();
      return;
    }
    self->arm_idle_timer();
  });
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  idle_timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace

Result<std::unique_ptr<GrpcServer>> GrpcServer::start(const GrpcServerOptions& options,
                                                      const Router* router) {
  auto s = std::make_unique<ServerImpl>(options, router);
  RETURN_IF_ERROR(s->listen());
  return std::unique_ptr<GrpcServer>(std::move(s));
}

}  // namespace opsight::api
