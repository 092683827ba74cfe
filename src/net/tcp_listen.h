#pragma once
// Opening a Boost.Asio TCP acceptor on a configured listen address (listen_address.h): resolve
// the host (an IP literal, "" = every interface, or a name), then open, SO_REUSEADDR, bind and
// listen. Include only from .cc files that already use Asio (it pulls in Asio's headers).

#include <boost/asio/ip/tcp.hpp>
#include <string_view>

#include "common/status.h"

namespace opsight::net {

// InvalidArgument for a bad address (naming `what`), Unavailable when the port cannot be bound.
Status open_tcp_acceptor(boost::asio::ip::tcp::acceptor& acceptor, std::string_view listen,
                         std::string_view what);

}  // namespace opsight::net
