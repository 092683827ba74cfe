#include "net/http2/frame.h"

#include <algorithm>

namespace opsight::http2 {
namespace {

void put_u32(uint32_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

void put_header(uint32_t length, FrameType type, uint8_t flags, uint32_t stream_id,
                std::string* out) {
  out->push_back(static_cast<char>(length >> 16));
  out->push_back(static_cast<char>(length >> 8));
  out->push_back(static_cast<char>(length));
  out->push_back(static_cast<char>(type));
  out->push_back(static_cast<char>(flags));
  put_u32(stream_id & 0x7fffffff, out);
}

}  // namespace

std::string_view error_code_name(ErrorCode code) {
  static constexpr std::string_view kNames[] = {"NO_ERROR",
                                                "PROTOCOL_ERROR",
                                                "INTERNAL_ERROR",
                                                "FLOW_CONTROL_ERROR",
                                                "SETTINGS_TIMEOUT",
                                                "STREAM_CLOSED",
                                                "FRAME_SIZE_ERROR",
                                                "REFUSED_STREAM",
                                                "CANCEL",
                                                "COMPRESSION_ERROR",
                                                "CONNECT_ERROR",
                                                "ENHANCE_YOUR_CALM",
                                                "INADEQUATE_SECURITY",
                                                "HTTP_1_1_REQUIRED"};
  const auto i = static_cast<size_t>(code);
  return i < std::size(kNames) ? kNames[i] : "UNKNOWN_ERROR";
}

uint32_t read_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (static_cast<uint32_t>(u[0]) << 24) | (static_cast<uint32_t>(u[1]) << 16) |
         (static_cast<uint32_t>(u[2]) << 8) | static_cast<uint32_t>(u[3]);
}

FrameHeader parse_frame_header(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  FrameHeader h;
  h.length = (static_cast<uint32_t>(u[0]) << 16) | (static_cast<uint32_t>(u[1]) << 8) | u[2];
  h.type = u[3];
  h.flags = u[4];
  h.stream_id = read_u32(p + 5) & 0x7fffffff;
  return h;
}

void append_frame(FrameType type, uint8_t flags, uint32_t stream_id, std::string_view payload,
                  std::string* out) {
  put_header(static_cast<uint32_t>(payload.size()), type, flags, stream_id, out);
  out->append(payload);
}

void append_settings(const std::vector<std::pair<SettingId, uint32_t>>& settings,
                     std::string* out) {
  put_header(static_cast<uint32_t>(settings.size() * 6), FrameType::kSettings, 0, 0, out);
  for (const auto& [id, value] : settings) {
    out->push_back(static_cast<char>(static_cast<uint16_t>(id) >> 8));
    out->push_back(static_cast<char>(static_cast<uint16_t>(id)));
    put_u32(value, out);
  }
}

void append_settings_ack(std::string* out) {
  put_header(0, FrameType::kSettings, flag::kAck, 0, out);
}

void append_window_update(uint32_t stream_id, uint32_t increment, std::string* out) {
  put_header(4, FrameType::kWindowUpdate, 0, stream_id, out);
  put_u32(increment & 0x7fffffff, out);
}

void append_rst_stream(uint32_t stream_id, ErrorCode code, std::string* out) {
  put_header(4, FrameType::kRstStream, 0, stream_id, out);
  put_u32(static_cast<uint32_t>(code), out);
}

void append_goaway(uint32_t last_stream_id, ErrorCode code, std::string_view debug,
                   std::string* out) {
  put_header(static_cast<uint32_t>(8 + debug.size()), FrameType::kGoaway, 0, 0, out);
  put_u32(last_stream_id & 0x7fffffff, out);
  put_u32(static_cast<uint32_t>(code), out);
  out->append(debug);
}

void append_ping(bool ack, std::string_view opaque8, std::string* out) {
  put_header(8, FrameType::kPing, ack ? flag::kAck : 0, 0, out);
  std::string data(opaque8.substr(0, 8));
  data.resize(8, '\0');
  out->append(data);
}

void append_header_block(uint32_t stream_id, std::string_view block, bool end_stream,
                         uint32_t max_frame, std::string* out) {
  FrameType type = FrameType::kHeaders;
  uint8_t flags = end_stream ? flag::kEndStream : 0;
  do {
    const size_t n = std::min<size_t>(block.size(), max_frame);
    const bool last = n == block.size();
    append_frame(type, static_cast<uint8_t>(flags | (last ? flag::kEndHeaders : 0)), stream_id,
                 block.substr(0, n), out);
    block.remove_prefix(n);
    type = FrameType::kContinuation;
    flags = 0;
  } while (!block.empty());
}

Status strip_padding(uint8_t flags, std::string_view* payload) {
  if ((flags & flag::kPadded) == 0) return OkStatus();
  if (payload->empty()) return Status::invalid_argument("padded frame without a Pad Length");
  const size_t pad = static_cast<uint8_t>((*payload)[0]);
  if (pad >= payload->size()) {
    return Status::invalid_argument("padding (" + std::to_string(pad) +
                                    " bytes) not shorter than the frame payload");
  }
  *payload = payload->substr(1, payload->size() - 1 - pad);
  return OkStatus();
}

}  // namespace opsight::http2
