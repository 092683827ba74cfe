#include "net/http2/session.h"

#include <algorithm>
#include <utility>

namespace opsight::http2 {
namespace {

// DATA is moved to the output only while less than this is unwritten.
constexpr size_t kOutputHighWater = 256u << 10;

bool is_connection_specific(std::string_view name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade";
}

bool has_upper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

const std::string* Request::header(std::string_view name) const {
  for (const auto& f : headers) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

Session::Session(SessionOptions options) : options_(options), decoder_(options.header_table_size) {
  options_.max_frame_size =
      std::clamp<uint32_t>(options_.max_frame_size, kDefaultMaxFrameSize, kMaxAllowedFrameSize);
  options_.initial_stream_window = std::min(options_.initial_stream_window, kMaxWindow);
  options_.connection_window =
      std::clamp<uint32_t>(options_.connection_window, kDefaultWindow, kMaxWindow);
  // Server preface (§3.4): SETTINGS, then open the connection window beyond the default.
  append_settings({{SettingId::kMaxConcurrentStreams, options_.max_concurrent_streams},
                   {SettingId::kInitialWindowSize, options_.initial_stream_window},
                   {SettingId::kMaxFrameSize, options_.max_frame_size},
                   {SettingId::kMaxHeaderListSize, options_.max_header_list_size},
                   {SettingId::kHeaderTableSize, options_.header_table_size}},
                  &out_);
  if (options_.connection_window > kDefaultWindow) {
    append_window_update(0, options_.connection_window - kDefaultWindow, &out_);
    conn_recv_window_ = options_.connection_window;
  }
}

Status Session::fail(ErrorCode code, std::string message) {
  if (!failed_) {
    failed_ = true;
    append_goaway(last_stream_id_, code, message.substr(0, 256), &out_);
    error_ =
        Status::invalid_argument("http2 " + std::string(error_code_name(code)) + ": " + message);
  }
  return error_;
}

Status Session::receive(std::string_view bytes) {
  if (failed_) return error_;
  in_.append(bytes);
  Status st = process();
  // Compact the consumed prefix.
  if (in_off_ > 0) {
    in_.erase(0, in_off_);
    in_off_ = 0;
  }
  if (st.ok() && out_.size() > options_.max_pending_output) {
    st = fail(ErrorCode::kEnhanceYourCalm, "peer does not read its responses");
  }
  return st;
}

Status Session::process() {
  if (!preface_done_) {
    const size_t n = std::min(in_.size(), kClientPreface.size());
    if (std::string_view(in_).substr(0, n) != kClientPreface.substr(0, n)) {
      return fail(ErrorCode::kProtocolError, "invalid connection preface (expected HTTP/2)");
    }
    if (in_.size() < kClientPreface.size()) return OkStatus();
    in_off_ = kClientPreface.size();
    preface_done_ = true;
  }
  while (!failed_ && in_.size() - in_off_ >= kFrameHeaderSize) {
    const FrameHeader h = parse_frame_header(in_.data() + in_off_);
    if (h.length > options_.max_frame_size) {
      return fail(ErrorCode::kFrameSizeError, "frame of " + std::to_string(h.length) +
                                                  " bytes exceeds SETTINGS_MAX_FRAME_SIZE");
    }
    if (in_.size() - in_off_ < kFrameHeaderSize + h.length) break;
    std::string_view payload(in_.data() + in_off_ + kFrameHeaderSize, h.length);
    in_off_ += kFrameHeaderSize + h.length;
    if (!settings_seen_) {
      if (h.type != static_cast<uint8_t>(FrameType::kSettings) || (h.flags & flag::kAck)) {
        return fail(ErrorCode::kProtocolError, "the first frame must be SETTINGS");
      }
      settings_seen_ = true;
    }
    RETURN_IF_ERROR(handle_frame(h, payload));
  }
  return failed_ ? error_ : OkStatus();
}

Status Session::handle_frame(const FrameHeader& h, std::string_view payload) {
  const auto type = static_cast<FrameType>(h.type);
  if (expect_continuation_ && type != FrameType::kContinuation) {
    return fail(ErrorCode::kProtocolError, "expected CONTINUATION");
  }
  switch (type) {
    case FrameType::kData:
      return on_data(h, payload);
    case FrameType::kHeaders:
      return on_headers(h, payload);
    case FrameType::kContinuation:
      return on_continuation(h, payload);
    case FrameType::kPriority:
      if (h.stream_id == 0) return fail(ErrorCode::kProtocolError, "PRIORITY on stream 0");
      if (h.length != 5) reset_stream(h.stream_id, ErrorCode::kFrameSizeError);
      return OkStatus();
    case FrameType::kRstStream:
      return on_rst_stream(h, payload);
    case FrameType::kSettings:
      return on_settings(h, payload);
    case FrameType::kPushPromise:
      return fail(ErrorCode::kProtocolError, "client sent PUSH_PROMISE");
    case FrameType::kPing:
      if (h.stream_id != 0) return fail(ErrorCode::kProtocolError, "PING on a stream");
      if (h.length != 8) return fail(ErrorCode::kFrameSizeError, "PING payload is not 8 bytes");
      if ((h.flags & flag::kAck) == 0) append_ping(true, payload, &out_);
      return OkStatus();
    case FrameType::kGoaway:
      if (h.stream_id != 0) return fail(ErrorCode::kProtocolError, "GOAWAY on a stream");
      if (h.length < 8) return fail(ErrorCode::kFrameSizeError, "GOAWAY shorter than 8 bytes");
      peer_goaway_ = true;
      return OkStatus();
    case FrameType::kWindowUpdate:
      return on_window_update(h, payload);
  }
  return OkStatus();  // §4.1: unknown frame types are ignored
}

void Session::return_connection_window(uint64_t n) {
  conn_recv_unacked_ += n;
  if (conn_recv_unacked_ >= options_.connection_window / 2) {
    append_window_update(0, static_cast<uint32_t>(conn_recv_unacked_), &out_);
    conn_recv_window_ += static_cast<int64_t>(conn_recv_unacked_);
    conn_recv_unacked_ = 0;
  }
}

Status Session::on_data(const FrameHeader& h, std::string_view payload) {
  if (h.stream_id == 0) return fail(ErrorCode::kProtocolError, "DATA on stream 0");
  // §6.9.1: the whole payload, padding included, counts against the windows.
  if (static_cast<int64_t>(h.length) > conn_recv_window_) {
    return fail(ErrorCode::kFlowControlError, "DATA exceeds the connection window");
  }
  conn_recv_window_ -= h.length;
  if (Status st = strip_padding(h.flags, &payload); !st.ok()) {
    return fail(ErrorCode::kProtocolError, st.message());
  }
  if (is_idle(h.stream_id)) return fail(ErrorCode::kProtocolError, "DATA on an idle stream");
  return_connection_window(h.length);
  auto it = streams_.find(h.stream_id);
  if (it == streams_.end()) return OkStatus();  // closed (e.g. reset): frames in flight
  Stream& s = it->second;
  if (s.remote_closed) {
    reset_stream(h.stream_id, ErrorCode::kStreamClosed);
    return OkStatus();
  }
  if (static_cast<int64_t>(h.length) > s.recv_window) {
    reset_stream(h.stream_id, ErrorCode::kFlowControlError);
    return OkStatus();
  }
  s.recv_window -= h.length;
  if (!s.too_large) {
    if (s.req.body.size() + payload.size() > options_.max_body_bytes) {
      s.too_large = true;
      s.req.body_too_large = true;
      s.req.body.clear();
      s.req.body.shrink_to_fit();
      deliver(h.stream_id, s);
    } else {
      s.req.body.append(payload);
    }
  }
  if (h.flags & flag::kEndStream) {
    s.remote_closed = true;
    if (!s.delivered) deliver(h.stream_id, s);
    return OkStatus();
  }
  s.recv_unacked += h.length;
  if (s.recv_unacked >= options_.initial_stream_window / 2 && s.recv_unacked > 0) {
    append_window_update(h.stream_id, static_cast<uint32_t>(s.recv_unacked), &out_);
    s.recv_window += static_cast<int64_t>(s.recv_unacked);
    s.recv_unacked = 0;
  }
  return OkStatus();
}

Status Session::on_headers(const FrameHeader& h, std::string_view payload) {
  if (h.stream_id == 0) return fail(ErrorCode::kProtocolError, "HEADERS on stream 0");
  if (Status st = strip_padding(h.flags, &payload); !st.ok()) {
    return fail(ErrorCode::kProtocolError, st.message());
  }
  if (h.flags & flag::kPriority) {
    if (payload.size() < 5) return fail(ErrorCode::kFrameSizeError, "HEADERS priority truncated");
    if ((read_u32(payload.data()) & 0x7fffffff) == h.stream_id) {
      reset_stream(h.stream_id, ErrorCode::kProtocolError);  // §5.3.1: depends on itself
    }
    payload.remove_prefix(5);
  }
  hb_stream_ = h.stream_id;
  hb_end_stream_ = (h.flags & flag::kEndStream) != 0;
  hb_.assign(payload);
  if (h.flags & flag::kEndHeaders) return finish_header_block();
  expect_continuation_ = true;
  return OkStatus();
}

Status Session::on_continuation(const FrameHeader& h, std::string_view payload) {
  if (!expect_continuation_ || h.stream_id != hb_stream_) {
    return fail(ErrorCode::kProtocolError, "unexpected CONTINUATION");
  }
  hb_.append(payload);
  // The compressed block is bounded too; a decoded list beyond the limit is answered 431.
  if (hb_.size() > 2 * static_cast<size_t>(options_.max_header_list_size) + 16384) {
    return fail(ErrorCode::kEnhanceYourCalm, "header block too large");
  }
  if (h.flags & flag::kEndHeaders) {
    expect_continuation_ = false;
    return finish_header_block();
  }
  return OkStatus();
}

Status Session::finish_header_block() {
  expect_continuation_ = false;
  std::vector<HeaderField> fields;
  bool too_large = false;
  if (Status st = decoder_.decode(hb_, options_.max_header_list_size, &fields, &too_large);
      !st.ok()) {
    return fail(ErrorCode::kCompressionError, st.message());
  }
  hb_.clear();
  const uint32_t id = hb_stream_;
  auto it = streams_.find(id);
  if (it != streams_.end()) {
    // Trailers: must end the stream (§8.1); their content is not used.
    Stream& s = it->second;
    if (s.remote_closed) {
      reset_stream(id, ErrorCode::kStreamClosed);
    } else if (!hb_end_stream_) {
      reset_stream(id, ErrorCode::kProtocolError);
    } else {
      s.remote_closed = true;
      if (!s.delivered) deliver(id, s);
    }
    return OkStatus();
  }
  if (id <= last_stream_id_) return OkStatus();  // closed stream; decoded for HPACK state only
  if ((id & 1) == 0) return fail(ErrorCode::kProtocolError, "client opened an even stream id");
  last_stream_id_ = id;
  if (goaway_sent_) {
    reset_stream(id, ErrorCode::kRefusedStream);
    return OkStatus();
  }
  if (streams_.size() >= options_.max_concurrent_streams) {
    reset_stream(id, ErrorCode::kRefusedStream);
    return OkStatus();
  }
  return open_stream(id, std::move(fields), too_large, hb_end_stream_);
}

Status Session::open_stream(uint32_t id, std::vector<HeaderField> fields, bool too_large,
                            bool end_stream) {
  Stream& s = streams_[id];
  s.send_window = peer_initial_window_;
  s.recv_window = options_.initial_stream_window;
  s.remote_closed = end_stream;
  s.req.stream_id = id;
  if (too_large) {
    s.delivered = true;  // answered here, never handed out
    respond(id, {{":status", "431"}}, {}, {});
    return OkStatus();
  }
  // §8.3: pseudo-header fields first, only the request ones, each once; names lower case;
  // no connection-specific fields; TE only "trailers".
  bool regular_seen = false;
  for (auto& f : fields) {
    bool malformed = has_upper(f.name) || f.name.empty();
    if (!malformed && f.name[0] == ':') {
      std::string* slot = f.name == ":method"      ? &s.req.method
                          : f.name == ":scheme"    ? &s.req.scheme
                          : f.name == ":authority" ? &s.req.authority
                          : f.name == ":path"      ? &s.req.path
                                                   : nullptr;
      malformed = regular_seen || slot == nullptr || !slot->empty() || f.value.empty();
      if (!malformed) *slot = std::move(f.value);
    } else if (!malformed) {
      regular_seen = true;
      malformed = is_connection_specific(f.name) || (f.name == "te" && f.value != "trailers");
      if (!malformed) s.req.headers.push_back(std::move(f));
    }
    if (malformed) {
      reset_stream(id, ErrorCode::kProtocolError);
      return OkStatus();
    }
  }
  if (s.req.method.empty() || s.req.path.empty() ||
      (s.req.scheme.empty() && s.req.method != "CONNECT")) {
    reset_stream(id, ErrorCode::kProtocolError);
    return OkStatus();
  }
  if (end_stream) deliver(id, s);
  return OkStatus();
}

Status Session::on_settings(const FrameHeader& h, std::string_view payload) {
  if (h.stream_id != 0) return fail(ErrorCode::kProtocolError, "SETTINGS on a stream");
  if (h.flags & flag::kAck) {
    if (h.length != 0) return fail(ErrorCode::kFrameSizeError, "SETTINGS ACK with a payload");
    return OkStatus();
  }
  if (h.length % 6 != 0) {
    return fail(ErrorCode::kFrameSizeError, "SETTINGS length is not a multiple of 6");
  }
  for (size_t i = 0; i < payload.size(); i += 6) {
    const auto id = static_cast<uint16_t>((static_cast<uint8_t>(payload[i]) << 8) |
                                          static_cast<uint8_t>(payload[i + 1]));
    const uint32_t value = read_u32(payload.data() + i + 2);
    switch (static_cast<SettingId>(id)) {
      case SettingId::kEnablePush:
        if (value > 1) return fail(ErrorCode::kProtocolError, "SETTINGS_ENABLE_PUSH not 0 or 1");
        break;
      case SettingId::kInitialWindowSize: {
        if (value > kMaxWindow) {
          return fail(ErrorCode::kFlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1");
        }
        const int64_t delta = static_cast<int64_t>(value) - peer_initial_window_;
        peer_initial_window_ = value;
        for (auto& [sid, s] : streams_) {
          s.send_window += delta;
          if (s.send_window > kMaxWindow) {
            return fail(ErrorCode::kFlowControlError, "stream window above 2^31-1");
          }
        }
        break;
      }
      case SettingId::kMaxFrameSize:
        if (value < kDefaultMaxFrameSize || value > kMaxAllowedFrameSize) {
          return fail(ErrorCode::kProtocolError, "SETTINGS_MAX_FRAME_SIZE out of range");
        }
        peer_max_frame_ = value;
        break;
      default:
        // HEADER_TABLE_SIZE: the encoder uses no dynamic table. MAX_CONCURRENT_STREAMS: the
        // server opens none. MAX_HEADER_LIST_SIZE: advisory. Unknown ids are ignored (§6.5.2).
        break;
    }
  }
  append_settings_ack(&out_);
  return OkStatus();
}

Status Session::on_window_update(const FrameHeader& h, std::string_view payload) {
  if (h.length != 4) return fail(ErrorCode::kFrameSizeError, "WINDOW_UPDATE is not 4 bytes");
  const uint32_t inc = read_u32(payload.data()) & 0x7fffffff;
  if (h.stream_id == 0) {
    if (inc == 0) return fail(ErrorCode::kProtocolError, "WINDOW_UPDATE with increment 0");
    conn_send_window_ += inc;
    if (conn_send_window_ > kMaxWindow) {
      return fail(ErrorCode::kFlowControlError, "connection window above 2^31-1");
    }
    return OkStatus();
  }
  if (is_idle(h.stream_id)) {
    return fail(ErrorCode::kProtocolError, "WINDOW_UPDATE on an idle stream");
  }
  auto it = streams_.find(h.stream_id);
  if (it == streams_.end()) return OkStatus();
  if (inc == 0) {
    reset_stream(h.stream_id, ErrorCode::kProtocolError);
    return OkStatus();
  }
  it->second.send_window += inc;
  if (it->second.send_window > kMaxWindow) reset_stream(h.stream_id, ErrorCode::kFlowControlError);
  return OkStatus();
}

Status Session::on_rst_stream(const FrameHeader& h, std::string_view /*payload*/) {
  if (h.length != 4) return fail(ErrorCode::kFrameSizeError, "RST_STREAM is not 4 bytes");
  if (h.stream_id == 0) return fail(ErrorCode::kProtocolError, "RST_STREAM on stream 0");
  if (is_idle(h.stream_id)) return fail(ErrorCode::kProtocolError, "RST_STREAM on an idle stream");
  streams_.erase(h.stream_id);
  std::erase(sending_, h.stream_id);
  return OkStatus();
}

void Session::reset_stream(uint32_t id, ErrorCode code) {
  append_rst_stream(id, code, &out_);
  streams_.erase(id);
  std::erase(sending_, id);
  if (id > last_stream_id_) last_stream_id_ = id;
}

void Session::deliver(uint32_t /*id*/, Stream& s) {
  s.delivered = true;
  Request r = s.req;  // headers are small; the body is moved below
  r.body = std::move(s.req.body);
  s.req.body.clear();
  ready_.push_back(std::move(r));
}

std::vector<Request> Session::take_requests() {
  std::vector<Request> out(std::make_move_iterator(ready_.begin()),
                           std::make_move_iterator(ready_.end()));
  ready_.clear();
  return out;
}

bool Session::respond(uint32_t stream_id, const std::vector<HeaderField>& headers, std::string body,
                      std::vector<HeaderField> trailers) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second.responded || failed_) return false;
  Stream& s = it->second;
  s.responded = true;
  std::string block;
  HpackEncoder::encode(headers, &block);
  const bool end = body.empty() && trailers.empty();
  append_header_block(stream_id, block, end, peer_max_frame_, &out_);
  if (end) {
    finish_local(stream_id);
    return true;
  }
  s.out_body = std::move(body);
  s.out_off = 0;
  s.trailers = std::move(trailers);
  sending_.push_back(stream_id);
  flush_data();
  return true;
}

void Session::finish_local(uint32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  // §8.1: a complete response before the complete request; ask the client to stop sending.
  if (!it->second.remote_closed) append_rst_stream(id, ErrorCode::kNoError, &out_);
  streams_.erase(it);
}

void Session::flush_data() {
  bool progress = true;
  while (progress && !sending_.empty() && out_.size() < kOutputHighWater) {
    progress = false;
    for (size_t i = 0; i < sending_.size() && out_.size() < kOutputHighWater;) {
      const uint32_t id = sending_[i];
      Stream& s = streams_.at(id);
      const size_t remaining = s.out_body.size() - s.out_off;
      if (remaining > 0) {
        const int64_t allowed =
            std::min<int64_t>({static_cast<int64_t>(remaining), s.send_window, conn_send_window_,
                               static_cast<int64_t>(peer_max_frame_)});
        if (allowed <= 0) {
          i++;
          continue;
        }
        const bool last = static_cast<size_t>(allowed) == remaining;
        const bool end = last && s.trailers.empty();
        append_frame(FrameType::kData, end ? flag::kEndStream : 0, id,
                     std::string_view(s.out_body).substr(s.out_off, static_cast<size_t>(allowed)),
                     &out_);
        s.out_off += static_cast<size_t>(allowed);
        s.send_window -= allowed;
        conn_send_window_ -= allowed;
        progress = true;
        if (!last) {
          i++;
          continue;
        }
        if (end) {
          sending_.erase(sending_.begin() + static_cast<ptrdiff_t>(i));
          finish_local(id);
          continue;
        }
      }
      // Body done: trailers end the stream.
      std::string block;
      HpackEncoder::encode(s.trailers, &block);
      append_header_block(id, block, true, peer_max_frame_, &out_);
      sending_.erase(sending_.begin() + static_cast<ptrdiff_t>(i));
      finish_local(id);
      progress = true;
    }
  }
}

std::string Session::take_output() {
  if (!failed_) flush_data();
  return std::exchange(out_, {});
}

bool Session::has_pending_output() const {
  return !out_.empty();
}

void Session::shutdown() {
  if (goaway_sent_ || failed_) return;
  goaway_sent_ = true;
  append_goaway(last_stream_id_, ErrorCode::kNoError, "server shutting down", &out_);
}

bool Session::should_close() const {
  return failed_ || ((goaway_sent_ || peer_goaway_) && streams_.empty());
}

}  // namespace opsight::http2
