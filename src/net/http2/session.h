#pragma once
// The server side of one HTTP/2 connection (RFC 9113), with no I/O: bytes go in through
// receive(), complete requests come out of take_requests(), responses go in through respond(),
// and the bytes to write come out of take_output(). The socket code (api/grpc/grpc_server.cc)
// owns the connection; tests drive a Session with byte buffers.
//
// Design
// - Cleartext with prior knowledge (h2c, §3.3): the client starts with the connection preface.
//   The server preface (SETTINGS, and a WINDOW_UPDATE that opens the connection window) is
//   queued by the constructor.
// - Requests are buffered whole (gRPC unary calls): a request is delivered when its stream is
//   half-closed by the client, or early with body_too_large set once its body passes
//   max_body_bytes (the rest of the body is discarded; after the response the stream is reset
//   with NO_ERROR as §8.1 allows).
// - Receive flow control: received DATA is acknowledged (WINDOW_UPDATE) as it is buffered, so
//   memory per connection is bounded by max_concurrent_streams x max_body_bytes plus one
//   window. Send flow control honours the peer's connection and stream windows and its
//   SETTINGS_MAX_FRAME_SIZE; DATA is moved to the output only while the unwritten output is
//   below a high-water mark, so a peer that does not read cannot grow memory.
// - Errors: a connection error queues GOAWAY with the RFC 9113 code (PROTOCOL_ERROR,
//   FRAME_SIZE_ERROR, FLOW_CONTROL_ERROR, COMPRESSION_ERROR, ENHANCE_YOUR_CALM) and makes
//   receive() return the error; the caller writes the output and closes. A stream error sends
//   RST_STREAM and the connection continues. Header lists over max_header_list_size are
//   answered 431 on that stream (the block is still decoded to keep HPACK in sync).
// - Server push and priorities are not used (PRIORITY frames are checked and ignored).
//
// Thread safety: none; one Session is used by one connection at a time (its strand).

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "net/http2/frame.h"
#include "net/http2/hpack.h"

namespace opsight::http2 {

struct SessionOptions {
  uint32_t max_concurrent_streams = 100;           // SETTINGS_MAX_CONCURRENT_STREAMS
  uint32_t initial_stream_window = 1u << 20;       // SETTINGS_INITIAL_WINDOW_SIZE we advertise
  uint32_t connection_window = 16u << 20;          // our connection receive window
  uint32_t max_frame_size = kDefaultMaxFrameSize;  // SETTINGS_MAX_FRAME_SIZE we accept
  uint32_t max_header_list_size = 16u << 10;       // SETTINGS_MAX_HEADER_LIST_SIZE
  uint32_t header_table_size = 4096;               // SETTINGS_HEADER_TABLE_SIZE (decoder)
  uint64_t max_body_bytes = 64ull << 20;           // per request
  size_t max_pending_output = 4u << 20;  // unwritten control output before ENHANCE_YOUR_CALM
};

struct Request {
  uint32_t stream_id = 0;
  std::string method;
  std::string scheme;
  std::string authority;
  std::string path;
  std::vector<HeaderField> headers;  // regular fields, names lower case, in arrival order
  std::string body;                  // empty when body_too_large
  bool body_too_large = false;

  // First value of a regular header, or nullptr.
  const std::string* header(std::string_view name) const;
};

class Session {
 public:
  explicit Session(SessionOptions options = {});

  // Processes received bytes. A non-ok result is a connection error: a GOAWAY is queued, the
  // caller writes take_output() and closes. After an error further input is ignored.
  Status receive(std::string_view bytes);

  // Requests completed since the last call, in completion order.
  std::vector<Request> take_requests();

  // Queues the response of `stream_id`: `headers` (with ":status") then `body` then
  // `trailers` (END_STREAM on the last frame). False when the stream no longer exists (reset
  // by the peer, or already answered); the response is then dropped.
  bool respond(uint32_t stream_id, const std::vector<HeaderField>& headers, std::string body,
               std::vector<HeaderField> trailers);

  // Bytes to write now: control frames, response headers, and as much response DATA as the
  // peer's windows allow. Call again after the peer's WINDOW_UPDATE (i.e. after receive()).
  std::string take_output();
  bool has_pending_output() const;

  // Graceful shutdown: GOAWAY(NO_ERROR); streams already opened are still answered.
  void shutdown();
  // True once the connection can be closed (after writing take_output()): after a connection
  // error, or after GOAWAY (either way) when no stream is left.
  bool should_close() const;

  size_t open_streams() const { return streams_.size(); }
  uint32_t last_stream_id() const { return last_stream_id_; }
  int64_t connection_send_window() const { return conn_send_window_; }
  uint32_t peer_max_frame_size() const { return peer_max_frame_; }

 private:
  struct Stream {
    bool remote_closed = false;  // END_STREAM received
    bool delivered = false;      // handed to take_requests()
    bool too_large = false;
    bool responded = false;
    int64_t send_window = 0;
    int64_t recv_window = 0;
    uint64_t recv_unacked = 0;  // consumed bytes not yet returned by WINDOW_UPDATE
    Request req;
    // Response DATA not yet sent, then trailers.
    std::string out_body;
    size_t out_off = 0;
    std::vector<HeaderField> trailers;
  };

  Status process();
  Status handle_frame(const FrameHeader& h, std::string_view payload);
  Status on_data(const FrameHeader& h, std::string_view payload);
  Status on_headers(const FrameHeader& h, std::string_view payload);
  Status on_continuation(const FrameHeader& h, std::string_view payload);
  Status on_settings(const FrameHeader& h, std::string_view payload);
  Status on_window_update(const FrameHeader& h, std::string_view payload);
  Status on_rst_stream(const FrameHeader& h, std::string_view payload);
  Status finish_header_block();
  Status open_stream(uint32_t id, std::vector<HeaderField> fields, bool too_large, bool end_stream);
  Status fail(ErrorCode code, std::string message);
  void reset_stream(uint32_t id, ErrorCode code);
  void deliver(uint32_t id, Stream& s);
  void finish_local(uint32_t id);
  void return_connection_window(uint64_t n);
  void flush_data();
  bool is_idle(uint32_t id) const { return id > last_stream_id_ && !streams_.contains(id); }

  SessionOptions options_;
  HpackDecoder decoder_;
  std::string in_;
  size_t in_off_ = 0;
  std::string out_;
  bool preface_done_ = false;
  bool settings_seen_ = false;
  bool failed_ = false;
  bool goaway_sent_ = false;
  bool peer_goaway_ = false;
  Status error_;

  // Header block being assembled (HEADERS followed by CONTINUATION).
  bool expect_continuation_ = false;
  uint32_t hb_stream_ = 0;
  bool hb_end_stream_ = false;
  std::string hb_;

  std::map<uint32_t, Stream> streams_;
  std::vector<uint32_t> sending_;  // streams with response DATA or trailers pending
  std::deque<Request> ready_;
  uint32_t last_stream_id_ = 0;

  int64_t conn_send_window_ = kDefaultWindow;
  int64_t conn_recv_window_ = kDefaultWindow;
  uint64_t conn_recv_unacked_ = 0;
  int64_t peer_initial_window_ = kDefaultWindow;
  uint32_t peer_max_frame_ = kDefaultMaxFrameSize;
};

}  // namespace opsight::http2
