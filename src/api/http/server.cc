#include "api/http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "api/http/server_core.h"
#include "common/logging.h"
#include "common/self_metrics.h"
#include "common/work_queue.h"
#include "net/tcp_listen.h"

namespace opsight::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Probe {
  metrics::Counter* requests;
  metrics::Counter* rejected_overload;
  metrics::Histogram* latency;
  metrics::Gauge* connections;
  Probe() {
    auto& r = metrics::Registry::global();
    requests = r.counter("opsight_http_requests_total", "HTTP requests received");
    rejected_overload = r.counter("opsight_http_overload_rejections_total",
                                  "Requests answered 429/503 because the worker queue was full");
    latency = r.histogram("opsight_http_request_duration_seconds",
                          "Time from request read to response written", metrics::latency_buckets());
    connections = r.gauge("opsight_http_open_connections", "Open HTTP connections");
  }
};

Probe& probe() {
  static Probe p;
  return p;
}

class ServerImpl;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl* server);
  ~Session();
  void start() { read(); }
  void close();

 private:
  void read();
  void on_header(beast::error_code ec, size_t);
  void on_body(beast::error_code ec, size_t);
  void on_read(beast::error_code ec, size_t);
  // Answers or closes for a failed read; false when `ec` is no error.
  bool read_failed(beast::error_code ec);
  void handle(http::request<http::string_body> msg);
  void write(HttpResponse resp, bool keep_alive, bool head);
  void on_write(bool keep_alive, beast::error_code ec, size_t);

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  // A request is read in two steps: the header, then either the body straight into body_ (a
  // large Content-Length: one big read instead of Beast's 64 KiB steps, each re-arming the
  // timeout and the reactor) or the rest through the string_body parser (chunked, small).
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string body_;
  std::shared_ptr<http::response<http::string_body>> res_;
  ServerImpl* server_;
  int64_t start_ns_ = 0;
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& o, const Router* router)
      : options_(o),
        router_(router),
        core_(static_cast<size_t>(o.workers), o.max_queued_requests, o.max_connections) {}

  ~ServerImpl() override { stop(0); }

  Status listen() {
    return core_.listen(options_.listen, "http listen address", options_.io_threads,
                        [this](tcp::socket socket) {
                          std::make_shared<Session>(std::move(socket), this)->start();
                        });
  }

  uint16_t port() const override { return core_.port(); }
  void stop(int64_t drain_ms) override { core_.stop(drain_ms); }

  // Called on an io thread with a complete request.
  void dispatch(std::shared_ptr<Session> session, HttpRequest req,
                std::function<void(HttpResponse)> done) {
    bool ingest = false;
    for (const auto& p : options_.ingest_prefixes) {
      if (req.path.starts_with(p)) ingest = true;
    }
    auto task = [this, req = std::move(req), done]() mutable {
      done(dispatch_guarded(*router_, req));
    };
    if (!core_.submit(std::move(task))) {
      probe().rejected_overload->inc();
      HttpResponse resp = HttpResponse::text(
          ingest ? 429 : 503,
          "server overloaded: the request queue is full; retry after the Retry-After delay");
      resp.headers.emplace_back("Retry-After", "1");
      done(std::move(resp));
    }
  }

  const HttpServerOptions& options() const { return options_; }
  std::atomic<size_t>& connections() { return core_.connections; }

 private:
  HttpServerOptions options_;
  const Router* router_;
  ServerCore core_;
};

Session::Session(tcp::socket socket, ServerImpl* server)
    : stream_(std::move(socket)), server_(server) {
  server_->connections()++;
  probe().connections->add(1);
}

Session::~Session() {
  server_->connections()--;
  probe().connections->add(-1);
}

// Bodies at least this large with a Content-Length are read directly (see header_parser_).
constexpr uint64_t kDirectBodyBytes = 256 * 1024;

void Session::read() {
  header_parser_.emplace();
  header_parser_->body_limit(server_->options().max_body_bytes);
  header_parser_->header_limit(64 * 1024);
  stream_.expires_after(std::chrono::milliseconds(server_->options().idle_timeout_ms));
  http::async_read_header(stream_, buffer_, *header_parser_,
                          beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

void Session::on_header(beast::error_code ec, size_t) {
  if (read_failed(ec)) return;
  const auto length = header_parser_->content_length();
  if (length && *length >= kDirectBodyBytes && !header_parser_->chunked()) {
    // The body limit was checked against the Content-Length by the parser.
    body_.resize(*length);
    const size_t have = std::min<size_t>(buffer_.size(), *length);
    asio::buffer_copy(asio::buffer(body_.data(), have), buffer_.data());
    buffer_.consume(have);
    asio::async_read(stream_, asio::buffer(body_.data() + have, *length - have),
                     beast::bind_front_handler(&Session::on_body, shared_from_this()));
    return;
  }
  parser_.emplace(std::move(*header_parser_));
  header_parser_.reset();
  parser_->body_limit(server_->options().max_body_bytes);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::on_read, shared_from_this()));
}

void Session::on_body(beast::error_code ec, size_t) {
  if (ec) {
    close();  // the peer went away or timed out mid-body: nothing to answer
    return;
  }
  http::request<http::string_body> msg(std::move(header_parser_->release().base()));
  header_parser_.reset();
  msg.body() = std::move(body_);
  body_.clear();
  handle(std::move(msg));
}

void Session::on_read(beast::error_code ec, size_t) {
  if (read_failed(ec)) return;
  auto msg = parser_->release();
  parser_.reset();
  handle(std::move(msg));
}

bool Session::read_failed(beast::error_code ec) {
  if (!ec) return false;
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted) {
    close();
    return true;
  }
  if (ec == http::error::body_limit) {
    write(HttpResponse::text(413, "request body exceeds the limit of " +
                                      std::to_string(server_->options().max_body_bytes) +
                                      " bytes (http.max_body_bytes)"),
          false, false);
    return true;
  }
  if (ec != asio::error::connection_reset && ec != asio::error::eof) {
    write(HttpResponse::text(400, "malformed HTTP request: " + ec.message()), false, false);
  } else {
    close();
  }
  return true;
}

void Session::handle(http::request<http::string_body> msg) {
  start_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now().time_since_epoch())
                  .count();
  probe().requests->inc();
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  std::string_view target = req.target;
  auto q = target.find('?');
  req.path = url_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) parse_query(target.substr(q + 1), &req.params);
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.body = std::move(msg.body());
  if (req.method == "POST") {
    auto ct = req.header("content-type");
    if (ct && ct->starts_with("application/x-www-form-urlencoded")) {
      parse_query(req.body, &req.params);
    }
  }
  beast::error_code ignore;
  auto ep = stream_.socket().remote_endpoint(ignore);
  if (!ignore) req.remote_addr = ep.address().to_string();
  bool keep_alive = msg.keep_alive();
  bool head = msg.method() == http::verb::head;
  auto self = shared_from_this();
  server_->dispatch(self, std::move(req), [self, keep_alive, head](HttpResponse resp) {
    // Back to the connection's strand for the write.
    asio::post(self->stream_.get_executor(),
               [self, keep_alive, head, resp = std::move(resp)]() mutable {
                 self->write(std::move(resp), keep_alive, head);
               });
  });
}

void Session::write(HttpResponse resp, bool keep_alive, bool head) {
  res_ = std::make_shared<http::response<http::string_body>>();
  res_->result(static_cast<unsigned>(resp.status));
  res_->version(11);
  res_->set(http::field::server, "opsight");
  if (!resp.content_type.empty()) res_->set(http::field::content_type, resp.content_type);
  for (auto& [k, v] : resp.headers) res_->set(k, v);
  size_t body_size = resp.body.size();
  if (!head) res_->body() = std::move(resp.body);
  res_->keep_alive(keep_alive);
  res_->prepare_payload();
  if (head) res_->content_length(body_size);
  stream_.expires_after(std::chrono::milliseconds(server_->options().idle_timeout_ms));
  http::async_write(stream_, *res_,
                    beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
}

void Session::on_write(bool keep_alive, beast::error_code ec, size_t) {
  if (start_ns_ != 0) {
    int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    probe().latency->observe(static_cast<double>(now - start_ns_) / 1e9);
    start_ns_ = 0;
  }
  if (ec || !keep_alive) {
    close();
    return;
  }
  read();
}

void Session::close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.socket().close(ec);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options,
                                                      const Router* router) {
  auto s = std::make_unique<ServerImpl>(options, router);
  RETURN_IF_ERROR(s->listen());
  return std::unique_ptr<HttpServer>(std::move(s));
}

}  // namespace opsight::api
