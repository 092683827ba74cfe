#include "net/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <chrono>

namespace opsight::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<ClientResponse> http_request(const std::string& method, const std::string& url,
                                    const std::string& body,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    int timeout_ms) {
  std::string_view u = url;
  if (!u.starts_with("http://")) {
    return Status::invalid_argument("only http:// URLs are supported: " + url);
  }
  u.remove_prefix(7);
  auto slash = u.find('/');
  std::string hostport(u.substr(0, slash));
  std::string target = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
  auto colon = hostport.rfind(':');
  std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  std::string port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, hostport);
    req.set(http::field::user_agent, "opsight-cli");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 32);
    http::read(stream, buf, parser);
    auto& res = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return out;
  } catch (const std::exception& e) {
    return Status::unavailable("cannot reach " + hostport + ": " + e.what());
  }
}

std::string_view ClientResponse::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

namespace {

struct Url {
  std::string hostport, host, port, target;
};

Result<Url> split_url(const std::string& url) {
  std::string_view u = url;
  if (!u.starts_with("http://")) {
    return Status::invalid_argument("only http:// URLs are supported: " + url);
  }
  u.remove_prefix(7);
  auto slash = u.find('/');
  Url out;
  out.hostport = std::string(u.substr(0, slash));
  out.target = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
  if (out.hostport.starts_with('[')) {  // [v6]:port
    auto close = out.hostport.find(']');
    if (close == std::string::npos) return Status::invalid_argument("bad IPv6 address in " + url);
    out.host = out.hostport.substr(1, close - 1);
    out.port = close + 2 <= out.hostport.size() ? out.hostport.substr(close + 2) : "80";
  } else {
    auto colon = out.hostport.rfind(':');
    out.host = colon == std::string::npos ? out.hostport : out.hostport.substr(0, colon);
    out.port = colon == std::string::npos ? "80" : out.hostport.substr(colon + 1);
  }
  if (out.port.empty()) out.port = "80";
  return out;
}

}  // namespace

Result<ClientResponse> http_fetch(const std::string& method, const std::string& url,
                                  const std::string& body,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  const FetchOptions& options) {
  ASSIGN_OR_RETURN(Url u, split_url(url));
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{http::string_to_verb(method), u.target, 11};
  req.set(http::field::host, u.hostport);
  req.set(http::field::user_agent, "opsight");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(64 * 1024);

  bool done = false;
  beast::error_code result;
  std::string stage = "resolve";
  auto finish = [&](beast::error_code ec) {
    done = true;
    result = ec;
  };
  resolver.async_resolve(u.host, u.port, [&](beast::error_code ec, auto results) {
    if (ec) return finish(ec);
    stage = "connect";
    stream.async_connect(results, [&](beast::error_code ec2, auto) {
      if (ec2) return finish(ec2);
      stage = "send";
      http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
        if (ec3) return finish(ec3);
        stage = "receive";
        http::async_read(stream, buf, parser, [&](beast::error_code ec4, size_t) { finish(ec4); });
      });
    });
  });

  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timeout_ms);
  Status abort;
  while (!done) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      abort = Status::deadline_exceeded(
          fmt::format("{} {}: no complete response within {} ms ({} did not finish)", method, url,
                      options.timeout_ms, stage));
    } else if (options.cancel != nullptr && options.cancel->load()) {
      abort = Status::cancelled(fmt::format("{} {}: cancelled", method, url));
    }
    if (!abort.ok()) {
      resolver.cancel();
      beast::error_code ignored;
      stream.socket().close(ignored);
      ioc.restart();
      ioc.run();  // lets the aborted handlers finish before the locals they use go away
      return abort;
    }
    auto slice = std::min<std::chrono::steady_clock::duration>(deadline - now,
                                                               std::chrono::milliseconds(50));
    ioc.run_for(slice);
    if (ioc.stopped()) ioc.restart();
  }
  if (result == http::error::body_limit) {
    return Status::resource_exhausted(fmt::format("{} {}: response body larger than {} bytes",
                                                  method, url, options.max_body_bytes));
  }
  if (result) {
    return Status::unavailable(
        fmt::format("{} {}: {} failed: {}", method, url, stage, result.message()));
  }
  auto& res = parser.get();
  ClientResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  out.body = std::move(res.body());
  beast::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return out;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace opsight::net
