// Fuzzes SigV4 verification (auth/sigv4.h): the input is split on '\n' into the Authorization
// header, the raw query, the X-Amz-Date header, x-amz-content-sha256, the raw path and the body.
// Any input must give a value or an error, never a crash; a refusal must never contain the secret.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sigv4.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() < 5) {
    const size_t nl = in.find('\n');
    if (nl == std::string_view::npos) break;
    parts.push_back(in.substr(0, nl));
    in.remove_prefix(nl + 1);
  }
  parts.resize(5);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"host", "example.amazonaws.com"},
      {"authorization", std::string(parts[0])},
      {"x-amz-date", std::string(parts[2])}};
  if (!parts[3].empty()) headers.emplace_back("x-amz-content-sha256", std::string(parts[3]));
  opsight::auth::SigV4Request req;
  req.method = "POST";
  req.raw_path = parts[4];
  req.raw_query = parts[1];
  req.headers = &headers;
  req.body = in;
  auto r = opsight::auth::verify_sigv4(
      req, 1440938160000, [](std::string_view) -> opsight::Result<opsight::auth::ResolvedKey> {
        return opsight::auth::ResolvedKey{"123456789012", std::string(kSecret)};
      });
  if (!r.ok() && r.status().message().find(kSecret) != std::string::npos) std::abort();
  (void)opsight::auth::canonical_uri(parts[4]);
  (void)opsight::auth::canonical_query(parts[1]);
  return 0;
}
