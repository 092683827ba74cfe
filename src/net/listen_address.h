#pragma once
// Listen addresses as users write them in the configuration ("host:port", "[::1]:port",
// ":port"), shared by every listener: the HTTP and gRPC servers (tcp_listen.h) and the plain-socket
// syslog and X-Ray listeners (ipv4_listen_address).
//
// Thread safety: pure functions.

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::net {

struct HostPort {
  std::string host;  // without IPv6 brackets; "" = every interface
  uint16_t port = 0;
  std::string port_text;
};

// Splits "host:port". InvalidArgument naming `what` (e.g. "otlp_grpc.listen") and the address
// when the colon is missing or the port is not a number in 0..65535.
Result<HostPort> split_host_port(std::string_view listen, std::string_view what);

// An IPv4 socket address for `listen` ("" and "localhost" are 127.0.0.1); InvalidArgument naming
// `what` otherwise.
Result<sockaddr_in> ipv4_listen_address(std::string_view listen, std::string_view what);

}  // namespace opsight::net
