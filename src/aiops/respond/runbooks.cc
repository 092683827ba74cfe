// Allow-listed runbooks (design in runbooks.h).
#include "aiops/respond/runbooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>

#include "aiops/respond/text_util.h"
#include "common/json_writer.h"
#include "net/http_client.h"

namespace opsight::aiops::respond {
namespace {

constexpr size_t kAuditOutputBytes = 4 << 10;
constexpr std::string_view kNameChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// The value of a placeholder name, or nullopt when the name is unknown.
std::optional<std::string> placeholder(std::string_view name, const RunbookContext& ctx) {
  if (name == "incident.id") return ctx.incident_id;
  if (name == "incident.title") return ctx.incident_title;
  if (name == "incident.services") return join(ctx.services, ",");
  if (name == "tenant.account") return ctx.tenant.account;
  if (name == "tenant.region") return ctx.tenant.region;
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The first {{name}} of `text` that is not a known placeholder, or "".
std::string unknown_placeholder(std::string_view text) {
  const RunbookContext probe;
  for (size_t at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at + 2)) {
    const size_t end = text.find("}}", at + 2);
    if (end == std::string_view::npos) return std::string(text.substr(at, 40));
    const std::string_view name = trim(text.substr(at + 2, end - at - 2));
    if (!placeholder(name, probe)) return std::string(name);
  }
  return "";
}

// argv[0] as an executable path: absolute or relative with '/', or found in kRunbookPath.
std::string resolve_command(const std::string& cmd) {
  if (cmd.find('/') != std::string::npos) return cmd;
  std::string_view dirs = kRunbookPath;
  while (!dirs.empty()) {
    const size_t cut = dirs.find(':');
    const std::string_view dir = dirs.substr(0, cut);
    dirs = cut == std::string_view::npos ? std::string_view() : dirs.substr(cut + 1);
    std::string path = fmt::format("{}/{}", dir, cmd);
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// Collects a child's output: the first `keep` bytes, counting what is dropped.
struct OutputBuffer {
  size_t keep = 0;
  std::string data;
  bool dropped = false;

  // Reads what `fd` (non-blocking) has; false at end of file.
  bool read_available(int fd) {
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof(chunk));
      if (n > 0) {
        const size_t room = keep > data.size() ? keep - data.size() : 0;
        const size_t take = std::min(room, static_cast<size_t>(n));
        data.append(chunk, take);
        if (take < static_cast<size_t>(n)) dropped = true;
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;  // other errors: treat as closed
    }
  }
};

class SpawnResources {
 public:
  SpawnResources() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~SpawnResources() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
  int fds_[3] = {-1, -1, -1};  // pipe read end, pipe write end, pidfd
};

}  // namespace

std::string_view runbook_type_name(RunbookType type) {
  return type == RunbookType::kHttp ? "http" : "command";
}

Status validate_runbook(const Runbook& rb, std::string_view where) {
  auto bad = [&](std::string_view field, std::string_view rule) {
    return Status::invalid_argument(fmt::format("{}.{} {}", where, field, rule));
  };
  if (rb.name.empty() || rb.name.size() > 64 ||
      rb.name.find_first_not_of(kNameChars) != std::string::npos) {
    return bad("name", fmt::format("\"{}\" must be 1 to 64 of A-Z, a-z, 0-9, '_', '.', '-'",
                                   utf8_capped(rb.name, 80)));
  }
  if (rb.timeout_ms < 1 || rb.timeout_ms > kMaxRunbookTimeoutMs) {
    return bad("timeout_ms",
               fmt::format("must be between 1 and {} (5 minutes)", kMaxRunbookTimeoutMs));
  }
  if (rb.max_output_bytes < 1 || rb.max_output_bytes > kMaxRunbookOutputBytes) {
    return bad("max_output_bytes",
               fmt::format("must be between 1 and {} (16 MiB)", kMaxRunbookOutputBytes));
  }
  if (rb.type == RunbookType::kCommand) {
    if (rb.argv.empty() || rb.argv[0].empty()) {
      return bad("argv", "must list the command and its arguments (no shell is used)");
    }
    for (const auto& a : rb.argv) {
      if (a.find('\0') != std::string::npos) return bad("argv", "must not contain NUL bytes");
    }
    if (!rb.url.empty() || !rb.body.empty()) {
      return bad("url", "and body belong to type http, not command");
    }
    return OkStatus();
  }
  if (!rb.argv.empty()) return bad("argv", "belongs to type command, not http");
  if (rb.url.starts_with("https://")) {
    return bad("url",
               "is https://, which the built-in HTTP client cannot send: point it at a local "
               "TLS-forwarding proxy over http:// (docs/respond.md)");
  }
  if (!rb.url.starts_with("http://") || rb.url.size() <= 7) {
    return bad("url", fmt::format("must be an http:// URL, got \"{}\"", utf8_capped(rb.url, 200)));
  }
  static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  if (std::find(std::begin(kMethods), std::end(kMethods), rb.method) == std::end(kMethods)) {
    return bad("method", fmt::format("\"{}\" must be one of GET, POST, PUT, PATCH, DELETE",
                                     utf8_capped(rb.method, 20)));
  }
  if (std::string u = unknown_placeholder(rb.body); !u.empty()) {
    return bad("body", fmt::format("uses unknown placeholder \"{{{{{}}}}}\" (known: incident.id, "
                                   "incident.title, incident.services, tenant.account, "
                                   "tenant.region)",
                                   utf8_capped(u, 60)));
  }
  for (const auto& [k, v] : rb.headers) {
    if (k.empty() || k.find_first_of(":\r\n ") != std::string::npos ||
        v.find_first_of("\r\n") != std::string::npos) {
      return bad("headers", fmt::format("\"{}\" is not a valid header", utf8_capped(k, 80)));
    }
  }
  return OkStatus();
}

std::string expand_runbook_template(std::string_view text, const RunbookContext& ctx,
                                    bool json_escape) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t at = text.find("{{", pos);
    const size_t end = at == std::string_view::npos ? at : text.find("}}", at + 2);
    if (at == std::string_view::npos || end == std::string_view::npos) break;
    out.append(text.substr(pos, at - pos));
    auto v = placeholder(trim(text.substr(at + 2, end - at - 2)), ctx);
    if (!v) {
      out.append(text.substr(at, end + 2 - at));  // unknown: kept as written
    } else if (json_escape) {
      std::string quoted;
      json::append_string(quoted, utf8_capped(*v, SIZE_MAX));
      out.append(quoted, 1, quoted.size() - 2);
    } else {
      out += *v;
    }
    pos = end + 2;
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

std::string runbook_result_json(const RunbookResult& r, size_t max_output) {
  json::Writer w(256 + std::min(r.output.size(), max_output));
  w.begin_object();
  w.kv("runbook", r.runbook).kv("type", runbook_type_name(r.type)).kv("ok", r.ok);
  if (r.type == RunbookType::kCommand) {
    w.kv("exitCode", r.exit_code);
  } else {
    w.kv("httpStatus", r.http_status);
  }
  bool cut = false;
  const std::string out = utf8_capped(r.output, max_output, &cut);
  w.kv("timedOut", r.timed_out).kv("truncated", r.truncated || cut).kv("output", out);
  if (!r.error.empty()) w.kv("error", r.error);
  w.kv("startedMs", r.started_ms).kv("durationMs", r.duration_ms);
  w.end_object();
  return w.take();
}

RunbookRunner::RunbookRunner(std::vector<Runbook> runbooks, RunbookRunnerOptions options)
    : runbooks_(std::move(runbooks)), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = Clock::real();
  if (options_.max_concurrent < 1) options_.max_concurrent = 1;
}

Result<RunbookResult> RunbookRunner::run(std::string_view name, const RunbookContext& ctx) {
  auto it = std::find_if(runbooks_.begin(), runbooks_.end(),
                         [&](const Runbook& rb) { return rb.name == name; });
  if (it == runbooks_.end()) {
    return Status::not_found(
        fmt::format("runbook \"{}\" is not configured (runbooks: in the server config)",
                    utf8_capped(name, 80)));
  }
  if (running_.fetch_add(1) >= options_.max_concurrent) {
    running_.fetch_sub(1);
    return Status::resource_exhausted(fmt::format("runbook \"{}\": {} runbooks are already running",
                                                  it->name, options_.max_concurrent));
  }
  RunbookResult r = it->type == RunbookType::kCommand ? run_command(*it, ctx) : run_http(*it, ctx);
  running_.fetch_sub(1);
  audit(r, ctx);
  return r;
}

RunbookResult RunbookRunner::run_command(const Runbook& rb, const RunbookContext& ctx) {
  RunbookResult r;
  r.runbook = rb.name;
  r.type = RunbookType::kCommand;
  r.started_ms = options_.clock->now_ms();
  const int64_t t0 = steady_ms();
  auto finish = [&](std::string error) {
    r.error = std::move(error);
    r.duration_ms = steady_ms() - t0;
    return r;
  };
  const std::string path = resolve_command(rb.argv[0]);
  if (path.empty()) {
    return finish(fmt::format("command \"{}\" not found in {}", rb.argv[0], kRunbookPath));
  }

  SpawnResources res;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return finish(fmt::format("pipe: {}", std::strerror(errno)));
  }
  res.fds_[0] = pipe_fds[0];
  res.fds_[1] = pipe_fds[1];
  posix_spawn_file_actions_addopen(&res.actions_, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&res.actions_, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&res.actions_, pipe_fds[1], 2);
  // Own process group (so the timeout can kill everything it started), default signal
  // dispositions (the server ignores SIGPIPE) and an empty signal mask.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setflags(&res.attr_,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&res.attr_, 0);
  posix_spawnattr_setsigmask(&res.attr_, &none);
  posix_spawnattr_setsigdefault(&res.attr_, &all);

  std::vector<std::string> env = {
      fmt::format("PATH={}", kRunbookPath),
      "LANG=C.UTF-8",
      fmt::format("OPSIGHT_RUNBOOK={}", rb.name),
      fmt::format("OPSIGHT_INCIDENT_ID={}", ctx.incident_id),
      fmt::format("OPSIGHT_INCIDENT_TITLE={}", ctx.incident_title),
      fmt::format("OPSIGHT_INCIDENT_SERVICES={}", join(ctx.services, ",")),
      fmt::format("OPSIGHT_ACCOUNT={}", ctx.tenant.account),
      fmt::format("OPSIGHT_REGION={}", ctx.tenant.region),
  };
  for (auto& e : env) std::replace(e.begin(), e.end(), '\0', ' ');
  std::vector<char*> argv, envp;
  for (const auto& a : rb.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  const int rc =
      ::posix_spawn(&pid, path.c_str(), &res.actions_, &res.attr_, argv.data(), envp.data());
  ::close(res.fds_[1]);
  res.fds_[1] = -1;
  if (rc != 0) return finish(fmt::format("cannot start {}: {}", path, std::strerror(rc)));

  const int read_fd = res.fds_[0];
  ::fcntl(read_fd, F_SETFL, ::fcntl(read_fd, F_GETFL) | O_NONBLOCK);
  // A pidfd becomes readable when the child exits (Linux >= 5.3); without one, poll waitpid.
  res.fds_[2] = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  const int pidfd = res.fds_[2];

  OutputBuffer out;
  out.keep = rb.max_output_bytes + 4;  // room to cut at a character boundary
  const int64_t deadline = t0 + rb.timeout_ms;
  bool pipe_open = true, exited = false;
  int status = 0;
  while (!exited) {
    const int64_t left = deadline - steady_ms();
    if (left <= 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd pfd[2] = {{pipe_open ? read_fd : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
    const int wait_ms = pidfd >= 0 ? static_cast<int>(std::min<int64_t>(left, 1'000))
                                   : static_cast<int>(std::min<int64_t>(left, 20));
    const int n = ::poll(pfd, 2, wait_ms);
    if (n < 0 && errno != EINTR) {
      ::kill(-pid, SIGKILL);
      r.error = fmt::format("poll: {}", std::strerror(errno));
      break;
    }
    if (pipe_open && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      pipe_open = out.read_available(read_fd);
    }
    if (pidfd >= 0) {
      exited = (pfd[1].revents & POLLIN) != 0;
    } else if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      pid = -pid;  // reaped
    }
  }
  if (pipe_open && !r.timed_out) out.read_available(read_fd);  // what the child left behind
  if (pid > 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  bool cut = false;
  r.output = utf8_capped(out.data, rb.max_output_bytes, &cut);
  r.truncated = cut || out.dropped;
  r.duration_ms = steady_ms() - t0;
  if (r.timed_out) {
    r.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    r.error = fmt::format("timed out after {} ms; the process group was killed", rb.timeout_ms);
    return r;
  }
  if (!r.error.empty()) return r;
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.ok = r.exit_code == 0;
    if (!r.ok) r.error = fmt::format("exit code {}", r.exit_code);
  } else if (WIFSIGNALED(status)) {
    r.exit_code = 128 + WTERMSIG(status);
    r.error = fmt::format("killed by signal {}", WTERMSIG(status));
  }
  return r;
}

RunbookResult RunbookRunner::run_http(const Runbook& rb, const RunbookContext& ctx) {
  RunbookResult r;
  r.runbook = rb.name;
  r.type = RunbookType::kHttp;
  r.started_ms = options_.clock->now_ms();
  const int64_t t0 = steady_ms();
  const bool json = rb.content_type.find("json") != std::string::npos;
  const std::string body = expand_runbook_template(rb.body, ctx, json);
  auto headers = rb.headers;
  if (!body.empty() || rb.method != "GET") headers.emplace_back("Content-Type", rb.content_type);
  net::FetchOptions o;
  o.timeout_ms = rb.timeout_ms;
  o.max_body_bytes = kMaxRunbookOutputBytes;
  auto resp = net::http_fetch(rb.method, rb.url, body, headers, o);
  r.duration_ms = steady_ms() - t0;
  if (!resp.ok()) {
    r.timed_out = resp.status().code() == Code::kDeadlineExceeded;
    r.error = resp.status().message();
    return r;
  }
  r.http_status = resp->status;
  r.ok = resp->status >= 200 && resp->status < 300;
  if (!r.ok) r.error = fmt::format("HTTP status {}", resp->status);
  r.output = utf8_capped(resp->body, rb.max_output_bytes, &r.truncated);
  return r;
}

void RunbookRunner::audit(const RunbookResult& r, const RunbookContext& ctx) {
  if (!options_.audit) return;
  std::string detail = runbook_result_json(r, kAuditOutputBytes);
  // Add incidentId and actor to the object.
  json::Writer extra(128);
  extra.begin_object().kv("incidentId", ctx.incident_id).kv("actor", ctx.actor).end_object();
  std::string e = extra.take();
  detail.pop_back();  // '}'
  detail += ',';
  detail.append(e, 1, std::string::npos);
  events::Event ev;
  ev.id = events::new_event_id();
  ev.source = std::string(kRunbookEventSource);
  ev.detail_type = std::string(kRunbookEventDetailType);
  ev.time_ms = options_.clock->now_ms();
  ev.tenant = ctx.tenant;
  ev.resources.push_back("runbook/" + r.runbook);
  if (!ctx.incident_id.empty()) ev.resources.push_back("incident/" + ctx.incident_id);
  ev.detail_json = std::move(detail);
  options_.audit(ev);
}

}  // namespace opsight::aiops::respond
