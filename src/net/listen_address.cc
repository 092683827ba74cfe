#include "net/listen_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

namespace opsight::net {

Result<HostPort> split_host_port(std::string_view listen, std::string_view what) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::invalid_argument(fmt::format("{} \"{}\" must be host:port", what, listen));
  }
  HostPort hp;
  hp.host = std::string(listen.substr(0, colon));
  if (hp.host.size() >= 2 && hp.host.front() == '[')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  hp.port_text = std::string(listen.substr(colon + 1));
  unsigned long port = 0;
  const char* end = hp.port_text.data() + hp.port_text.size();
  auto [p, err] = std::from_chars(hp.port_text.data(), end, port);
  if (err != std::errc() || p != end || port > 65535) {
    return Status::invalid_argument(fmt::format("invalid port in {} \"{}\"", what, listen));
  }
  hp.port = static_cast<uint16_t>(port);
  return hp;
}

Result<sockaddr_in> ipv4_listen_address(std::string_view listen, std::string_view what) {
  ASSIGN_OR_RETURN(HostPort hp, split_host_port(listen, what));
  if (hp.host.empty() || hp.host == "localhost") hp.host = "127.0.0.1";
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (inet_pton(AF_INET, hp.host.c_str(), &a.sin_addr) != 1) {
    return Status::invalid_argument(
        fmt::format("{} \"{}\": need an IPv4 address and a port", what, listen));
  }
  a.sin_port = htons(hp.port);
  return a;
}

}  // namespace opsight::net
