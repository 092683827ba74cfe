#include "net/tcp_listen.h"

#include <fmt/format.h>

#include <boost/asio.hpp>

#include "net/listen_address.h"

namespace opsight::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Status open_tcp_acceptor(tcp::acceptor& acceptor, std::string_view listen, std::string_view what) {
  ASSIGN_OR_RETURN(HostPort hp, split_host_port(listen, what));
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(hp.host.empty() ? "0.0.0.0" : hp.host, ec);
  if (ec) {
    tcp::resolver resolver(acceptor.get_executor());
    auto res = resolver.resolve(hp.host, hp.port_text, ec);
    if (ec || res.empty()) {
      return Status::invalid_argument(
          fmt::format("cannot resolve the host \"{}\" of {}", hp.host, what));
    }
    addr = res.begin()->endpoint().address();
  }
  tcp::endpoint ep(addr, hp.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::unavailable(fmt::format("cannot listen on {}: {}", listen, ec.message()));
  return OkStatus();
}

}  // namespace opsight::net
