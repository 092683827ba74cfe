#pragma once
// Syslog over TCP: splits a byte stream into messages (RFC 6587 "Transmission of Syslog Messages
// over TCP", section 3.4). Two framings, detected per frame as rsyslog does:
//   octet counting (3.4.1):         MSG-LEN SP SYSLOG-MSG   (MSG-LEN: nonzero digit, digits)
//   non-transparent framing (3.4.2): SYSLOG-MSG LF           (CRLF and NUL also end a frame)
// A frame that starts with a digit is octet-counted; anything else is LF-delimited. Chunks may
// split a frame anywhere. A frame longer than max_frame_bytes, or a MSG-LEN that is not a
// number, is an error after which the framing is lost: the caller should close the connection.
//
// Thread safety: one SyslogFramer per connection, used by one thread at a time.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::ingest::logs {

class SyslogFramer {
 public:
  explicit SyslogFramer(size_t max_frame_bytes = 1 << 20) : max_frame_(max_frame_bytes) {}

  // Appends the complete messages found in `chunk` (with what was buffered before) to *out.
  // Empty LF-delimited frames are skipped. After an error every later call fails too.
  Status feed(std::string_view chunk, std::vector<std::string>* out);

  // End of stream: a buffered LF-delimited message without its LF is emitted; a partial
  // octet-counted frame is an error (truncated).
  Status finish(std::vector<std::string>* out);

  // Bytes buffered for an incomplete frame.
  size_t buffered() const { return buf_.size(); }

 private:
  // Moves every complete frame of buf_ to *out and keeps the incomplete rest.
  Status drain(std::vector<std::string>* out);

  size_t max_frame_;
  std::string buf_;
  Status error_;
};

}  // namespace opsight::ingest::logs
