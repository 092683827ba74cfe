#include "net/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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
