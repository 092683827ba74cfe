// Fuzz target: syslog parsing (parse_syslog) and TCP framing (SyslogFramer). The framer must
// produce the same frames whatever the chunking; parsing never crashes and keeps PRI in range.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ingest/logs/syslog.h"
#include "ingest/logs/syslog_framer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest::logs;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  SyslogMessage m;
  if (parse_syslog(in, 1'700'000'000'000, &m).ok()) {
    if (m.facility < 0 || m.facility > 23 || m.severity < 0 || m.severity > 7) std::abort();
    (void)syslog_to_event(m);
  }
  SyslogFramer whole(4096);
  std::vector<std::string> a;
  opsight::Status sa = whole.feed(in, &a);
  if (sa.ok()) sa = whole.finish(&a);
  SyslogFramer split(4096);
  std::vector<std::string> b;
  opsight::Status sb;
  for (size_t i = 0; i < in.size() && sb.ok(); i += 3) sb = split.feed(in.substr(i, 3), &b);
  if (sb.ok()) sb = split.finish(&b);
  if (sa.ok() != sb.ok()) std::abort();
  if (sa.ok() && a != b) std::abort();
  opsight::ingest::LogBatch out;
  decode_syslog_messages(a, 1'700'000'000'000, "peer", opsight::ingest::LogLimits{}, &out);
  if (out.event_count() + out.errors.size() != a.size()) std::abort();
  return 0;
}
