#pragma once
// The X-Ray daemon (config `xray:`, default 127.0.0.1:2000; "" = off): what the X-Ray SDKs
// talk to (AWS_XRAY_DAEMON_ADDRESS).
//   UDP: one datagram = the header line {"format": "json", "version": 1} + "\n" + one segment
//        or independent subsegment document (<= 64 KiB). Datagrams queued together are decoded
//        and appended with one commit (group commit); bad documents are counted and logged
//        (rate limited) and never stop the others.
//   TCP: an HTTP server on the same port answering the sampling proxy paths
//        POST /GetSamplingRules and POST /SamplingTargets (api/aws/xray_api.h).
//
// Durability: UDP has no acknowledgement; a segment is durable once its batch's commit returns.
// Datagrams that arrive while a batch is written wait in the kernel's socket buffer and are
// lost (counted by the kernel) when it overflows, as with the AWS daemon. Self-metrics:
// opsight_xray_segments_received_total, opsight_xray_segments_rejected_total,
// opsight_xray_datagrams_dropped_total (no valid header, truncated, or the store refused).
//
// Thread safety: start/stop from one thread; the listener runs its own threads.

#include <cstdint>
#include <memory>
#include <string>

#include "api/aws/xray_api.h"
#include "common/status.h"

namespace opsight::server {

struct XrayDaemonOptions {
  std::string listen = "127.0.0.1:2000";  // host:port for UDP and TCP; port 0 picks one
  size_t max_connections = 64;            // sampling proxy (TCP)
};

class XrayListener {
 public:
  // deps.traces and deps.sampling must be set and outlive the listener; segments are stored
  // for the default tenant.
  static Result<std::unique_ptr<XrayListener>> start(const XrayDaemonOptions& options,
                                                     const api::XrayApiDeps& deps);
  virtual ~XrayListener() = default;
  // Stops receiving and joins every thread (idempotent).
  virtual void stop() = 0;
  virtual uint16_t port() const = 0;  // the UDP and TCP port
};

}  // namespace opsight::server
