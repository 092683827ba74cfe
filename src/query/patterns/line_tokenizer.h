#pragma once
// Tokenizer and header splitter for log pattern mining.
//
// A line is split on runs of spaces and tabs into tokens (string_views into the line, no
// allocation per token). A token is variable-shaped, whatever its context, when it contains an
// ASCII digit (numbers, IPs, times, ids such as "blk_-42" or "core.2275", host names such as
// "dn228"), is an absolute path or URL, an English month or weekday abbreviation (the words of a
// date), or an empty value ("()", "[]", "''"). This is the usual preprocessing of log parsers
// (Zhu et al., "Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019) done without
// regular expressions. Whole tokens are masked, not their digit runs: a mixed token such as
// "ec2-54-1.compute.example.com" is as variable as an IP in the same place.
//
// Header detection. Logs often start with a header (timestamp, level, host, thread, logger) in
// front of the message. Header tokens vary independently of the message (the same message is
// logged by several threads, at several levels, from several hosts), so the miner groups lines
// by their message only and renders the header separately. `header_length()` recognises the
// general shape of syslog (RFC 3164/5424 style "host tag[pid]:"), log4j/logback ("date time
// LEVEL [thread] logger:" or "... - LEVEL [thread] - "), Apache ("[date] [level]") and similar
// formats, without any per-format configuration:
//   - a header must start with a timestamp-like token, a '[' group, a month/day name or '-'
//     (optionally after one leading word, e.g. an alert label), otherwise there is none;
//   - it continues over timestamp-like tokens, identifiers with digits, '[...]' groups, '-',
//     month/day names, at most kMaxHeaderWords plain words, and a level word (INFO, WARN, ...);
//   - it ends after a "tag" token ending in ':' (e.g. "sshd[42]:", "org.x.Client:"), or after
//     the level word and what directly follows it ('[...]' group, '-', one tag);
//   - a plain word that is not confirmed by a later tag or level belongs to the message.
// Only the first kHeaderWindow tokens are examined.
//
// Thread safety: free functions over caller-owned buffers; no shared state.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace opsight::query::patterns {

struct Token {
  std::string_view text;
  bool variable = false;   // variable-shaped (see above)
  bool has_digit = false;  // contains an ASCII digit
};

inline constexpr size_t kHeaderWindow = 20;
inline constexpr size_t kMaxHeaderWords = 3;

// Splits `line` on spaces and tabs (and strips a trailing '\r'). Clears `out` first; reuses its
// capacity, so a caller that keeps one vector tokenizes without allocating per line.
void tokenize(std::string_view line, std::vector<Token>* out);

// Number of leading tokens of `tokens` that form the line's header (0 if it has none).
size_t header_length(const std::vector<Token>& tokens);

}  // namespace opsight::query::patterns
