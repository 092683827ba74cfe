#pragma once
// The respond section of the server configuration (docs/respond.md), as parsed by
// server/respond_config.h:
//
//   incidents:
//     notify: [ {name, type, url, routing_key?, project_key?, issue_type?, headers?, on?,
//                timeout_ms?}, ... ]          -> notify (notify_templates.h)
//   runbooks: [ {name, type, ...}, ... ]      -> runbooks (runbooks.h)
//   summarizer: {url, model, api_key_env?, timeout_ms?, system_prompt?}  -> summarizer
//
// Everything is off when absent.
//
// Thread safety: plain values and pure functions.

#include <string_view>
#include <vector>

#include "aiops/respond/notify_templates.h"
#include "aiops/respond/runbooks.h"
#include "aiops/respond/summarizer.h"
#include "common/status.h"

namespace opsight::aiops::respond {

struct RespondConfig {
  std::vector<NotifyTarget> notify;
  std::vector<Runbook> runbooks;
  SummarizerConfig summarizer;
  bool operator==(const RespondConfig&) const = default;
};

// Every item valid (validate_notify_target, validate_runbook, validate_summarizer, with
// "incidents.notify[i]", "runbooks[i]", "summarizer" as where) and names unique per list.
Status validate_respond_config(const RespondConfig& config);

}  // namespace opsight::aiops::respond
