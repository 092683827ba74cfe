// RFC 6587 section 3.4 framing: octet counting (3.4.1) and non-transparent framing with LF as
// the trailer (3.4.2); per-frame detection as in rsyslog's imtcp.
#include "ingest/logs/syslog_framer.h"

#include <fmt/format.h>

namespace opsight::ingest::logs {

Status SyslogFramer::feed(std::string_view chunk, std::vector<std::string>* out) {
  if (!error_.ok()) return error_;
  buf_.append(chunk);
  error_ = drain(out);
  return error_;
}

Status SyslogFramer::drain(std::vector<std::string>* out) {
  size_t pos = 0;
  Status st;
  while (pos < buf_.size()) {
    char c = buf_[pos];
    if (c >= '1' && c <= '9') {  // octet counting
      size_t i = pos;
      uint64_t len = 0;
      while (i < buf_.size() && buf_[i] >= '0' && buf_[i] <= '9' && i - pos < 10) {
        len = len * 10 + static_cast<uint64_t>(buf_[i] - '0');
        i++;
      }
      if (i == buf_.size()) {
        if (i - pos >= 10) {
          st = Status::invalid_argument("syslog octet-counting frame: MSG-LEN is too long");
        }
        break;  // need more digits
      }
      if (buf_[i] != ' ') {
        st = Status::invalid_argument(fmt::format(
            "syslog octet-counting frame: expected a space after MSG-LEN, got byte 0x{:02x}",
            static_cast<unsigned char>(buf_[i])));
        break;
      }
      if (len > max_frame_) {
        st = Status::invalid_argument(
            fmt::format("syslog frame of {} bytes: at most {} are allowed", len, max_frame_));
        break;
      }
      if (buf_.size() - (i + 1) < len) break;  // need the rest of the frame
      out->emplace_back(buf_, i + 1, len);
      pos = i + 1 + len;
      continue;
    }
    // Non-transparent framing: up to LF (or NUL).
    size_t end = buf_.find_first_of(std::string_view("\n\0", 2), pos);
    if (end == std::string::npos) {
      // + 1: the frame may still end in CR LF, and the CR is not part of the message.
      if (buf_.size() - pos > max_frame_ + 1) {
        st = Status::invalid_argument(
            fmt::format("syslog frame longer than {} bytes without a line feed", max_frame_));
      }
      break;
    }
    size_t n = end - pos;
    if (n > 0 && buf_[end - 1] == '\r') n--;
    if (n > max_frame_) {
      st = Status::invalid_argument(
          fmt::format("syslog frame of {} bytes: at most {} are allowed", n, max_frame_));
      break;
    }
    if (n > 0) out->emplace_back(buf_, pos, n);
    pos = end + 1;
  }
  buf_.erase(0, pos);
  return st;
}

Status SyslogFramer::finish(std::vector<std::string>* out) {
  if (!error_.ok()) return error_;
  if (buf_.empty()) return OkStatus();
  if (buf_[0] >= '1' && buf_[0] <= '9') {
    error_ = Status::invalid_argument(fmt::format(
        "syslog stream ended inside an octet-counted frame ({} bytes buffered)", buf_.size()));
    return error_;
  }
  std::string rest = std::move(buf_);
  if (!rest.empty() && rest.back() == '\r') rest.pop_back();
  buf_.clear();
  if (rest.size() > max_frame_) {
    error_ = Status::invalid_argument(
        fmt::format("syslog frame of {} bytes: at most {} are allowed", rest.size(), max_frame_));
    return error_;
  }
  if (!rest.empty()) out->emplace_back(rest);
  return OkStatus();
}

}  // namespace opsight::ingest::logs
