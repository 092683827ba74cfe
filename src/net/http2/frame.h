#pragma once
// HTTP/2 frame layout (RFC 9113 §4 and §6): the 9-byte frame header, frame types, flags,
// error codes and settings, and helpers that append well-formed frames to a byte string.
// Pure functions on bytes; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace opsight::http2 {

// RFC 9113 §3.4: what a client sends first (then a SETTINGS frame).
inline constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
inline constexpr size_t kFrameHeaderSize = 9;
inline constexpr uint32_t kDefaultWindow = 65535;        // §6.9.2
inline constexpr uint32_t kMaxWindow = 0x7fffffff;       // §6.9.1
inline constexpr uint32_t kDefaultMaxFrameSize = 16384;  // §6.5.2
inline constexpr uint32_t kMaxAllowedFrameSize = 0xffffff;

enum class FrameType : uint8_t {
  kData = 0x0,
  kHeaders = 0x1,
  kPriority = 0x2,
  kRstStream = 0x3,
  kSettings = 0x4,
  kPushPromise = 0x5,
  kPing = 0x6,
  kGoaway = 0x7,
  kWindowUpdate = 0x8,
  kContinuation = 0x9,
};

namespace flag {
inline constexpr uint8_t kEndStream = 0x1;  // DATA, HEADERS
inline constexpr uint8_t kAck = 0x1;        // SETTINGS, PING
inline constexpr uint8_t kEndHeaders = 0x4;
inline constexpr uint8_t kPadded = 0x8;
inline constexpr uint8_t kPriority = 0x20;
}  // namespace flag

// §7
enum class ErrorCode : uint32_t {
  kNoError = 0x0,
  kProtocolError = 0x1,
  kInternalError = 0x2,
  kFlowControlError = 0x3,
  kSettingsTimeout = 0x4,
  kStreamClosed = 0x5,
  kFrameSizeError = 0x6,
  kRefusedStream = 0x7,
  kCancel = 0x8,
  kCompressionError = 0x9,
  kConnectError = 0xa,
  kEnhanceYourCalm = 0xb,
  kInadequateSecurity = 0xc,
  kHttp11Required = 0xd,
};
std::string_view error_code_name(ErrorCode code);

// §6.5.2
enum class SettingId : uint16_t {
  kHeaderTableSize = 0x1,
  kEnablePush = 0x2,
  kMaxConcurrentStreams = 0x3,
  kInitialWindowSize = 0x4,
  kMaxFrameSize = 0x5,
  kMaxHeaderListSize = 0x6,
};

struct FrameHeader {
  uint32_t length = 0;  // 24 bits
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream_id = 0;  // the reserved bit is cleared
};

// `p` points at kFrameHeaderSize bytes.
FrameHeader parse_frame_header(const char* p);

void append_frame(FrameType type, uint8_t flags, uint32_t stream_id, std::string_view payload,
                  std::string* out);
void append_settings(const std::vector<std::pair<SettingId, uint32_t>>& settings, std::string* out);
void append_settings_ack(std::string* out);
void append_window_update(uint32_t stream_id, uint32_t increment, std::string* out);
void append_rst_stream(uint32_t stream_id, ErrorCode code, std::string* out);
void append_goaway(uint32_t last_stream_id, ErrorCode code, std::string_view debug,
                   std::string* out);
void append_ping(bool ack, std::string_view opaque8, std::string* out);
// Splits a header block into HEADERS + CONTINUATION frames of at most `max_frame` bytes.
void append_header_block(uint32_t stream_id, std::string_view block, bool end_stream,
                         uint32_t max_frame, std::string* out);

// Removes the Pad Length byte and the padding of a PADDED DATA or HEADERS payload (§6.1).
// An error (padding not shorter than the payload) is a connection PROTOCOL_ERROR.
Status strip_padding(uint8_t flags, std::string_view* payload);

uint32_t read_u32(const char* p);

}  // namespace opsight::http2
