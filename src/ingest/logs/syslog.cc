// Syslog parsers: RFC 5424 section 6 (ABNF), RFC 3164 section 4.1 and 4.3 (relay behaviour for
// messages without a valid HEADER). Severity numbers: OpenTelemetry log data model, appendix B
// ("Syslog"). Timestamps: RFC 3339 via aws::parse_iso8601_ms.
#include "ingest/logs/syslog.h"

#include <fmt/format.h>

#include "ingest/aws/put_metric_data.h"  // parse_iso8601_ms

namespace opsight::ingest::logs {
namespace {

constexpr std::string_view kSeverityText[] = {"EMERGENCY", "ALERT",  "CRITICAL", "ERROR",
                                              "WARNING",   "NOTICE", "INFO",     "DEBUG"};
constexpr int32_t kSeverityNumber[] = {21, 19, 18, 17, 13, 10, 9, 5};

Status bad(std::string_view field, std::string_view rule) {
  return Status::invalid_argument(fmt::format("invalid syslog message: {}: {}", field, rule));
}

bool print_us_ascii(char c) {
  return c >= 33 && c <= 126;
}

// Reads PRI "<n>"; advances *pos.
Status read_pri(std::string_view s, size_t* pos, int* pri) {
  if (s.empty() || s[0] != '<') return bad("PRI", "a message must start with \"<PRI>\"");
  size_t i = 1;
  int v = 0;
  while (i < s.size() && i <= 4 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  if (i == 1 || i >= s.size() || s[i] != '>' || i > 4) {
    return bad("PRI", "expected 1 to 3 digits between '<' and '>'");
  }
  if (v > 191) return bad("PRI", fmt::format("{} is out of range 0..191", v));
  if (i > 2 && s[1] == '0') return bad("PRI", "leading zeros are not allowed");
  *pri = v;
  *pos = i + 1;
  return OkStatus();
}

// Next space-delimited token of an RFC 5424 header; false at the end of input.
bool token(std::string_view s, size_t* pos, std::string_view* out) {
  if (*pos >= s.size()) return false;
  size_t end = s.find(' ', *pos);
  if (end == std::string_view::npos) end = s.size();
  *out = s.substr(*pos, end - *pos);
  *pos = end;
  return true;
}

bool sp(std::string_view s, size_t* pos) {
  if (*pos < s.size() && s[*pos] == ' ') {
    (*pos)++;
    return true;
  }
  return false;
}

Status header_field(std::string_view s, size_t* pos, std::string_view name, size_t max,
                    std::string* out) {
  std::string_view t;
  if (!sp(s, pos) || !token(s, pos, &t) || t.empty()) {
    return bad(name, "missing (fields are separated by one space; \"-\" is the nil value)");
  }
  if (t.size() > max) return bad(name, fmt::format("longer than {} characters", max));
  for (char c : t) {
    if (!print_us_ascii(c)) return bad(name, "must be printable US-ASCII");
  }
  if (t != "-") *out = std::string(t);
  return OkStatus();
}

bool sd_name_char(char c) {
  return print_us_ascii(c) && c != '=' && c != ']' && c != '"';
}

Status read_sd_name(std::string_view s, size_t* pos, std::string_view what, std::string* out) {
  size_t start = *pos;
  while (*pos < s.size() && sd_name_char(s[*pos])) (*pos)++;
  size_t n = *pos - start;
  if (n == 0 || n > 32)
    return bad("STRUCTURED-DATA", fmt::format("{} must be 1..32 characters", what));
  *out = std::string(s.substr(start, n));
  return OkStatus();
}

Status read_structured_data(std::string_view s, size_t* pos, SyslogMessage* m) {
  if (!sp(s, pos) || *pos >= s.size()) return bad("STRUCTURED-DATA", "missing");
  if (s[*pos] == '-') {
    (*pos)++;
    return OkStatus();
  }
  if (s[*pos] != '[') return bad("STRUCTURED-DATA", "expected \"-\" or '['");
  while (*pos < s.size() && s[*pos] == '[') {
    (*pos)++;
    std::string id;
    RETURN_IF_ERROR(read_sd_name(s, pos, "SD-ID", &id));
    while (*pos < s.size() && s[*pos] == ' ') {
      (*pos)++;
      std::string name;
      RETURN_IF_ERROR(read_sd_name(s, pos, "PARAM-NAME", &name));
      if (*pos + 1 >= s.size() || s[*pos] != '=' || s[*pos + 1] != '"') {
        return bad("STRUCTURED-DATA", fmt::format("expected =\"value\" after \"{}\"", name));
      }
      *pos += 2;
      std::string value;
      bool closed = false;
      while (*pos < s.size()) {
        char c = s[(*pos)++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && *pos < s.size() && (s[*pos] == '"' || s[*pos] == '\\' || s[*pos] == ']')) {
          c = s[(*pos)++];
        }
        value.push_back(c);
      }
      if (!closed) return bad("STRUCTURED-DATA", "unterminated PARAM-VALUE");
      m->structured_data.push_back({id + "." + name, std::move(value)});
    }
    if (*pos >= s.size() || s[*pos] != ']') {
      return bad("STRUCTURED-DATA", fmt::format("expected ']' to close element \"{}\"", id));
    }
    (*pos)++;
  }
  return OkStatus();
}

Status parse_5424(std::string_view s, size_t pos, int64_t now_ms, SyslogMessage* m) {
  m->rfc5424 = true;
  pos += 1;  // VERSION "1" (checked by the caller)
  std::string_view t;
  if (!sp(s, &pos) || !token(s, &pos, &t) || t.empty()) return bad("TIMESTAMP", "missing");
  if (t == "-") {
    m->timestamp_ms = now_ms;
  } else {
    auto ms = aws::parse_iso8601_ms(t);
    if (!ms.ok()) return bad("TIMESTAMP", ms.status().message());
    m->timestamp_ms = *ms;
  }
  RETURN_IF_ERROR(header_field(s, &pos, "HOSTNAME", 255, &m->hostname));
  RETURN_IF_ERROR(header_field(s, &pos, "APP-NAME", 48, &m->app_name));
  RETURN_IF_ERROR(header_field(s, &pos, "PROCID", 128, &m->procid));
  RETURN_IF_ERROR(header_field(s, &pos, "MSGID", 32, &m->msgid));
  RETURN_IF_ERROR(read_structured_data(s, &pos, m));
  if (pos < s.size()) {
    if (!sp(s, &pos)) return bad("MSG", "expected a space after STRUCTURED-DATA");
    std::string_view msg = s.substr(pos);
    if (msg.starts_with("\xEF\xBB\xBF")) msg.remove_prefix(3);
    m->message = std::string(msg);
  }
  return OkStatus();
}

// "Mmm dd hh:mm:ss" at s[pos..pos+15) -> epoch ms in the year nearest to now_ms.
// Reads the header's TIMESTAMP at `pos`: RFC 3164's "Mmm dd hh:mm:ss" (the year is inferred),
// or an RFC 3339 timestamp, which many senders put there instead (rsyslog's
// RSYSLOG_ForwardFormat, systemd-journald's forwarder). Returns the length consumed, 0 if none.
size_t parse_3164_time(std::string_view s, size_t pos, int64_t now_ms, int64_t* out) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (pos + 10 < s.size() && s[pos + 4] == '-' && s[pos + 7] == '-' && s[pos + 10] == 'T') {
    size_t end = s.find(' ', pos);
    std::string_view t = s.substr(pos, end == std::string_view::npos ? s.npos : end - pos);
    auto ms = aws::parse_iso8601_ms(t);
    if (!ms.ok()) return 0;
    *out = *ms;
    return t.size();
  }
  if (pos + 15 > s.size()) return 0;
  std::string_view t = s.substr(pos, 15);
  int month = 0;
  for (int i = 0; i < 12; i++) {
    if (t.substr(0, 3) == kMonths[i]) month = i + 1;
  }
  if (month == 0 || t[3] != ' ' || t[6] != ' ' || t[9] != ':' || t[12] != ':') return 0;
  char d1 = t[4] == ' ' ? '0' : t[4];
  std::string day{d1, t[5]};
  for (size_t i : {7u, 8u, 10u, 11u, 13u, 14u}) {
    if (t[i] < '0' || t[i] > '9') return 0;
  }
  if (day[0] < '0' || day[0] > '9' || day[1] < '0' || day[1] > '9') return 0;
  // Candidate years around now; the latest that is not more than a day ahead wins.
  int64_t approx_year = 1970 + now_ms / (kMsPerDay * 36524 / 100);
  bool found = false;
  for (int64_t y = approx_year + 1; y >= approx_year - 2 && !found; y--) {
    std::string iso = fmt::format("{:04d}-{:02d}-{}T{}Z", y, month, day, t.substr(7, 8));
    auto ms = aws::parse_iso8601_ms(iso);
    if (ms.ok() && *ms <= now_ms + kMsPerDay) {
      *out = *ms;
      found = true;
    }
  }
  return found ? 15 : 0;
}

bool tag_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '/' || c == '-';
}

// Recognises "TAG[PID]:" or "TAG:" at the start of `s`; returns the length consumed (with one
// following space), or 0. With `space_ends_tag` (a full HEADER was read), "TAG CONTENT" counts
// too: RFC 3164 4.1.3 ends the TAG at the first non-alphanumeric character, and relays such as
// rsyslog write "HOST app msg" for messages that arrived without a colon after the tag.
size_t parse_tag(std::string_view s, SyslogMessage* m, bool space_ends_tag) {
  size_t i = 0;
  while (i < s.size() && i < 48 && tag_char(s[i])) i++;
  if (i == 0 || i >= s.size()) return 0;
  std::string_view tag = s.substr(0, i);
  std::string_view pid;
  if (s[i] == '[') {
    size_t close = s.find(']', i);
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':' ||
        close - i - 1 > 128) {
      return 0;
    }
    pid = s.substr(i + 1, close - i - 1);
    i = close + 1;
  }
  if (s[i] == ':') {
    i++;
    if (i < s.size() && s[i] == ' ') i++;
  } else if (space_ends_tag && pid.empty() && s[i] == ' ') {
    i++;
  } else {
    return 0;
  }
  m->app_name = std::string(tag);
  m->procid = std::string(pid);
  return i;
}

void parse_3164(std::string_view s, size_t pos, int64_t now_ms, SyslogMessage* m) {
  m->rfc5424 = false;
  size_t time_len = parse_3164_time(s, pos, now_ms, &m->timestamp_ms);
  if (time_len == 0) {
    m->timestamp_ms = now_ms;
    std::string_view rest = s.substr(pos);
    size_t n = parse_tag(rest, m, /*space_ends_tag=*/false);
    m->message = std::string(rest.substr(n));
    return;
  }
  pos += time_len;
  if (pos < s.size() && s[pos] == ' ') pos++;
  std::string_view rest = s.substr(pos);
  // HOSTNAME, unless the next word is already the TAG (local senders omit the hostname).
  size_t word_end = rest.find(' ');
  std::string_view word = rest.substr(0, word_end);
  bool is_tag = word.ends_with(':') || word.find('[') != std::string_view::npos;
  if (!is_tag && word_end != std::string_view::npos && !word.empty()) {
    m->hostname = std::string(word);
    rest.remove_prefix(word_end + 1);
  }
  size_t n = parse_tag(rest, m, /*space_ends_tag=*/true);
  m->message = std::string(rest.substr(n));
}

}  // namespace

std::string_view syslog_facility_name(int facility) {
  static constexpr std::string_view kNames[] = {
      "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
      "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
      "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};
  if (facility < 0 || facility > 23) return {};
  return kNames[facility];
}

Status parse_syslog(std::string_view text, int64_t now_ms, SyslogMessage* out) {
  *out = SyslogMessage{};
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  size_t pos = 0;
  int pri = 0;
  RETURN_IF_ERROR(read_pri(text, &pos, &pri));
  out->facility = pri / 8;
  out->severity = pri % 8;
  if (pos + 1 < text.size() && text[pos] == '1' && text[pos + 1] == ' ') {
    return parse_5424(text, pos, now_ms, out);
  }
  parse_3164(text, pos, now_ms, out);
  return OkStatus();
}

storage::LogEvent syslog_to_event(const SyslogMessage& m) {
  storage::LogEvent ev;
  ev.timestamp_ms = m.timestamp_ms;
  ev.message = m.message;
  ev.severity_text = std::string(kSeverityText[m.severity & 7]);
  ev.severity_number = kSeverityNumber[m.severity & 7];
  ev.attributes.push_back({"facility", std::string(syslog_facility_name(m.facility))});
  if (!m.hostname.empty()) ev.attributes.push_back({"hostname", m.hostname});
  if (!m.app_name.empty()) ev.attributes.push_back({"app_name", m.app_name});
  if (!m.procid.empty()) ev.attributes.push_back({"procid", m.procid});
  if (!m.msgid.empty()) ev.attributes.push_back({"msgid", m.msgid});
  for (const auto& a : m.structured_data) ev.attributes.push_back(a);
  return ev;
}

std::string syslog_group(const SyslogMessage& m) {
  return "/syslog/" + (m.app_name.empty() ? std::string("default") : m.app_name);
}

std::string syslog_stream(const SyslogMessage& m, std::string_view peer) {
  if (!m.hostname.empty()) return m.hostname;
  if (!peer.empty()) return std::string(peer);
  return "unknown";
}

void decode_syslog_messages(std::span<const std::string> messages, int64_t now_ms,
                            std::string_view peer, const LogLimits& limits, LogBatch* out) {
  LogBatchBuilder b(out);
  SyslogMessage m;
  for (size_t i = 0; i < messages.size(); i++) {
    std::string item = fmt::format("message {}", i);
    if (b.added() >= limits.max_events_per_request) {
      b.error(std::move(item), fmt::format("more than {} messages in one batch "
                                           "(limits.max_events_per_request)",
                                           limits.max_events_per_request));
      continue;
    }
    if (Status st = parse_syslog(messages[i], now_ms, &m); !st.ok()) {
      b.error(std::move(item), st.message());
      continue;
    }
    storage::LogEvent ev = syslog_to_event(m);
    if (std::string rule = check_event_limits(ev, limits); !rule.empty()) {
      b.error(std::move(item), std::move(rule));
      continue;
    }
    b.add(syslog_group(m), syslog_stream(m, peer), "syslog", std::move(ev));
  }
}

}  // namespace opsight::ingest::logs
