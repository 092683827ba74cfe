#pragma once
// Parses the respond part of the server configuration (docs/respond.md) from the YAML root:
//
//   incidents:
//     notify:
//       - {name: oncall, type: pagerduty, url: http://pd-proxy:8080/v2/enqueue,
//          routing_key: R0123, on: [opened, resolved]}
//   runbooks:
//     - {name: restart-payment, type: command, argv: [systemctl, restart, payment],
//        timeout_ms: 30000}
//   summarizer: {url: http://127.0.0.1:8000/v1/chat/completions, model: m, api_key_env: KEY}
//
// Only incidents.notify, runbooks and summarizer are read (other keys under incidents belong to
// the correlation settings). Unknown keys inside those items are errors; every error names the
// key (e.g. "config: runbooks[0].timeout_ms must be between 1 and 300000 (5 minutes)").
//
// Thread safety: pure function.

#include "aiops/respond/respond_settings.h"
#include "common/status.h"

namespace YAML {
class Node;
}

namespace opsight::server {

Result<aiops::respond::RespondConfig> parse_respond_config(const YAML::Node& root);

}  // namespace opsight::server
