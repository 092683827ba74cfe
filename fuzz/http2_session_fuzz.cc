// Fuzzes the HTTP/2 server session (frame parsing, HPACK decoding, stream states, flow control).
// The input follows the client connection preface and is fed in chunks whose sizes come from
// the input itself, so frame boundaries fall anywhere; every request is answered (with a body
// and trailers) so the response and flow-control paths run too. The session must never crash,
// and after a connection error it must refuse further input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/http2/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::http2;
  SessionOptions o;
  o.max_body_bytes = 4096;
  o.max_header_list_size = 2048;
  o.initial_stream_window = 1000;
  o.max_concurrent_streams = 4;
  Session s(o);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!s.receive(kClientPreface).ok()) return 0;
  // The first byte picks the chunk size (1..256) used for the rest.
  const size_t chunk = in.empty() ? 1 : static_cast<uint8_t>(in[0]) + 1;
  if (!in.empty()) in.remove_prefix(1);
  bool failed = false;
  while (!in.empty() && !failed) {
    const size_t n = std::min(chunk, in.size());
    failed = !s.receive(in.substr(0, n)).ok();
    in.remove_prefix(n);
    for (const auto& r : s.take_requests()) {
      (void)s.respond(r.stream_id, {{":status", "200"}, {"content-type", "application/grpc"}},
                      std::string(r.body.size() % 3000, 'r'), {{"grpc-status", "0"}});
    }
    (void)s.take_output();
  }
  if (failed && s.receive("x").ok()) __builtin_trap();
  return 0;
}
