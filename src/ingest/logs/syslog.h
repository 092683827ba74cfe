#pragma once
// Syslog messages (RFC 5424 "The Syslog Protocol" and RFC 3164 "The BSD syslog Protocol", as
// rsyslog and syslog-ng send them) parsed into log events. Transport framing is in
// syslog_framer.h; UDP carries one message per datagram.
//
// RFC 5424: <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
//   "-" is the nil value; TIMESTAMP is RFC 3339 with an optional fraction; SD is "-" or one or
//   more [SD-ID PARAM="value" ...] elements (escapes \" \\ \]); a UTF-8 BOM before MSG is
//   removed. Strict: a message that breaks the grammar is an error naming the field.
// RFC 3164: <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG
//   The year is not sent: the one that puts the timestamp nearest to now_ms (a date more than
//   a day ahead is last year's). Lenient, as RFC 3164 section 4.3 asks of a relay: without a
//   valid TIMESTAMP the whole text after PRI is the MSG (time now_ms, hostname empty); a TAG is
//   recognised only as 1..48 characters of [A-Za-z0-9_./-] followed by "[pid]:" or ":".
// Both: PRI is 0..191; facility = PRI / 8, severity = PRI % 8.
//
// Mapping to a LogEvent (docs/ingest-logs.md):
//   group  "/syslog/<app-name>" (TAG for RFC 3164), "/syslog/default" when absent;
//   stream HOSTNAME, else the peer address the caller passes, else "unknown";
//   timestamp_ms, message = MSG;
//   severity_text "EMERGENCY" "ALERT" "CRITICAL" "ERROR" "WARNING" "NOTICE" "INFO" "DEBUG";
//   severity_number per the OpenTelemetry log data model's syslog mapping (appendix B):
//     emerg 21 FATAL, alert 19 ERROR3, crit 18 ERROR2, err 17 ERROR, warning 13 WARN,
//     notice 10 INFO2, info 9 INFO, debug 5 DEBUG;
//   attributes facility (name: kern, user, ..., local7), hostname, app_name, procid, msgid (those
//   present), and each SD-PARAM as "<SD-ID>.<PARAM-NAME>".
//
// Thread safety: pure functions.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/logs/log_batch.h"

namespace opsight::ingest::logs {

struct SyslogMessage {
  bool rfc5424 = false;
  int facility = 1;  // user
  int severity = 5;  // notice
  int64_t timestamp_ms = 0;
  std::string hostname;  // "" when nil / absent
  std::string app_name;  // RFC 3164: the TAG
  std::string procid;
  std::string msgid;
  std::vector<storage::LogAttribute> structured_data;  // "<SD-ID>.<PARAM-NAME>" -> value
  std::string message;
};

// Parses one message (without framing; a trailing "\n" or "\r\n" is ignored). Format detection:
// "<PRI>1 " is RFC 5424, anything else after a valid PRI is RFC 3164. A missing or invalid PRI
// or (RFC 5424) a grammar violation is InvalidArgument naming the field.
Status parse_syslog(std::string_view text, int64_t now_ms, SyslogMessage* out);

// The event, group and stream of a parsed message (mapping above).
storage::LogEvent syslog_to_event(const SyslogMessage& m);
std::string syslog_group(const SyslogMessage& m);
std::string syslog_stream(const SyslogMessage& m, std::string_view peer);

// Parses each message and adds it to *out; a bad message is an ItemError "message N" (0-based
// within `messages`). Messages over LogLimits are rejected the same way.
void decode_syslog_messages(std::span<const std::string> messages, int64_t now_ms,
                            std::string_view peer, const LogLimits& limits, LogBatch* out);

// Facility keyword of RFC 5424 table 1 ("kern", "user", ..., "local7"); "" when out of range.
std::string_view syslog_facility_name(int facility);

}  // namespace opsight::ingest::logs
