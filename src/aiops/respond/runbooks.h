#pragma once
// Runbooks: the HTTP calls and local commands that the configuration allow-lists, run on
// demand for an incident, with a timeout, their output captured and every run audited.
//
// Design
// - Nothing runs that the config does not list: run() looks the name up in the list given at
//   construction (NotFound naming the runbook otherwise). Neither the caller nor the incident
//   can change what runs: a command's argv is literal (no shell, no templating: an incident
//   title must never become an argument); only an HTTP runbook's body is a template, with
//   {{incident.id}}, {{incident.title}}, {{incident.services}} (comma-separated),
//   {{tenant.account}}, {{tenant.region}} (JSON-escaped when the content type is JSON).
// - Commands: posix_spawn (POSIX.1-2017, "posix_spawn") of argv[0] (absolute, or searched in
//   kRunbookPath), in a new process group, stdin /dev/null, stdout and stderr into one pipe,
//   a clean environment (PATH=kRunbookPath, LANG=C.UTF-8, OPSIGHT_RUNBOOK,
//   OPSIGHT_INCIDENT_ID, OPSIGHT_INCIDENT_TITLE, OPSIGHT_INCIDENT_SERVICES,
//   OPSIGHT_ACCOUNT, OPSIGHT_REGION; nothing of the server's environment, so secrets such as the
//   summariser's API key do not leak). The runner waits on the pipe and on a pidfd (Linux
//   pidfd_open(2)); at the timeout it SIGKILLs the whole process group. ok = exit code 0.
// - HTTP: net::http_fetch with the timeout as its deadline; ok = 2xx.
// - Output: the first max_output_bytes bytes (stdout and stderr interleaved as written; HTTP:
//   the response body) as valid UTF-8 (invalid bytes become U+FFFD), `truncated` when cut.
// - Audit: every run that starts (successful or not) produces an event (source
//   "opsight.runbooks", detail-type "Runbook Run", resources ["runbook/<name>",
//   "incident/<id>"], detail = runbook_result_json + incidentId, actor, output capped at 4 KiB)
//   passed to the audit callback; the full RunbookResult is returned for the timeline.
// - At most max_concurrent runs at once (ResourceExhausted beyond).
//
// Thread safety: RunbookRunner is thread-safe; run() blocks the calling thread up to the
// runbook's timeout (at most 5 minutes).

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/event.h"
#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::aiops::respond {

inline constexpr std::string_view kRunbookEventSource = "opsight.runbooks";
inline constexpr std::string_view kRunbookEventDetailType = "Runbook Run";
inline constexpr std::string_view kRunbookPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr int64_t kDefaultRunbookTimeoutMs = 10'000;
inline constexpr int64_t kMaxRunbookTimeoutMs = 5 * 60'000;
inline constexpr size_t kDefaultRunbookOutputBytes = 64 << 10;
inline constexpr size_t kMaxRunbookOutputBytes = 16 << 20;

enum class RunbookType { kHttp, kCommand };
std::string_view runbook_type_name(RunbookType type);  // "http", "command"

struct Runbook {
  std::string name;  // 1..64 of [A-Za-z0-9_.-]
  RunbookType type = RunbookType::kCommand;
  // http
  std::string url;  // http:// only
  std::string method = "POST";
  std::string body;  // template (see above)
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // command
  std::vector<std::string> argv;  // argv[0]: absolute path or a name found in kRunbookPath
  int64_t timeout_ms = kDefaultRunbookTimeoutMs;         // 1..kMaxRunbookTimeoutMs
  size_t max_output_bytes = kDefaultRunbookOutputBytes;  // 1..kMaxRunbookOutputBytes
  bool operator==(const Runbook&) const = default;
};

// InvalidArgument naming `where` (e.g. "runbooks[2]"), the field and the rule: name, type
// fields (url for http, argv for command), method, unknown {{placeholders}}, limits.
Status validate_runbook(const Runbook& runbook, std::string_view where);

// Who and what a run is for.
struct RunbookContext {
  storage::Tenant tenant;
  std::string incident_id;  // may be ""
  std::string incident_title;
  std::vector<std::string> services;
  std::string actor;  // who asked ("cli", a key id, ...); "" = unknown
};

struct RunbookResult {
  std::string runbook;
  RunbookType type = RunbookType::kCommand;
  bool ok = false;
  int exit_code = -1;   // command: exit status, 128 + signal when killed; -1 when not run
  int http_status = 0;  // http: the answer's status; 0 when there was none
  bool timed_out = false;
  bool truncated = false;  // output was cut at max_output_bytes
  std::string output;      // valid UTF-8, at most max_output_bytes
  std::string error;       // "" when ok; otherwise what went wrong
  int64_t started_ms = 0;  // Unix ms
  int64_t duration_ms = 0;
};

// {"runbook", "type", "ok", "exitCode" | "httpStatus", "timedOut", "truncated", "output",
//  "error"?, "startedMs", "durationMs"}; output capped at `max_output` bytes.
std::string runbook_result_json(const RunbookResult& result, size_t max_output = SIZE_MAX);

// Expands the body template of an HTTP runbook (exposed for tests).
std::string expand_runbook_template(std::string_view text, const RunbookContext& context,
                                    bool json_escape);

using AuditCallback = std::function<void(const events::Event&)>;

struct RunbookRunnerOptions {
  Clock* clock = Clock::real();
  AuditCallback audit;  // optional; called once per run, from the thread that called run()
  int max_concurrent = 4;
};

class RunbookRunner {
 public:
  // `runbooks` must be validated (validate_runbook); names are unique.
  RunbookRunner(std::vector<Runbook> runbooks, RunbookRunnerOptions options);

  // NotFound "runbook \"x\" is not configured" for a name the config does not list (nothing
  // runs, nothing is audited); ResourceExhausted when max_concurrent runs are under way.
  // Otherwise the run's result (ok or not), after auditing it.
  Result<RunbookResult> run(std::string_view name, const RunbookContext& context);

  bool enabled() const { return !runbooks_.empty(); }
  const std::vector<Runbook>& runbooks() const { return runbooks_; }

 private:
  RunbookResult run_command(const Runbook& rb, const RunbookContext& ctx);
  RunbookResult run_http(const Runbook& rb, const RunbookContext& ctx);
  void audit(const RunbookResult& result, const RunbookContext& ctx);

  std::vector<Runbook> runbooks_;
  RunbookRunnerOptions options_;
  std::atomic<int> running_{0};
};

}  // namespace opsight::aiops::respond
