#pragma once
// Syslog receivers (off by default): RFC 5424 and RFC 3164 messages over UDP (one message per
// datagram, RFC 5426) and TCP (octet counting or newline framing, RFC 6587), written to the log
// store like any other ingest (group and stream per ingest/logs/syslog.h; groups and streams are
// created on first use).
//
// Durability: a TCP connection's messages are read, written and made durable in batches before
// more is read, so a slow store slows the sender down instead of buffering without bound. UDP has
// no back-pressure: datagrams that arrive while a batch is being written wait in the kernel's
// socket buffer, and are lost (counted by the kernel) when it overflows, as with any syslog
// daemon.
//
// Thread safety: start/stop from one thread; the listener runs its own threads.

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "ingest/logs/log_batch.h"
#include "ingest/logs/log_metrics_hook.h"
#include "storage/log_store.h"

namespace opsight::server {

struct SyslogOptions {
  std::string udp_listen;  // "host:port"; "" = off
  std::string tcp_listen;  // "host:port"; "" = off
  size_t max_connections = 64;
  // Metric filters (ingest/logs/log_metrics_hook.h) apply to syslog messages like any log event;
  // their samples go to `metrics` (both null = none). EMF is not extracted from syslog.
  storage::MetricStore* metrics = nullptr;
  ingest::Limits metric_limits;
  const ingest::logs::LogMetricsHook* metric_filters = nullptr;
};

class SyslogListener {
 public:
  static Result<std::unique_ptr<SyslogListener>> start(const SyslogOptions& options,
                                                       storage::LogStore* store, Clock* clock,
                                                       ingest::LogLimits limits);
  virtual ~SyslogListener() = default;
  // Stops receiving and joins every thread (idempotent).
  virtual void stop() = 0;
  virtual uint16_t udp_port() const = 0;  // 0 when off
  virtual uint16_t tcp_port() const = 0;
};

}  // namespace opsight::server
