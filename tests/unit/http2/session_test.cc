// Session driven with byte buffers: preface and SETTINGS, requests from HEADERS(+CONTINUATION)
// and DATA, responses and trailers, flow control in both directions, tiny reads, and
// connection errors answered with GOAWAY.
#include "net/http2/session.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace opsight::http2 {
namespace {

struct Frame {
  FrameType type;
  uint8_t flags;
  uint32_t stream;
  std::string payload;
};

std::vector<Frame> parse(std::string_view bytes) {
  std::vector<Frame> out;
  while (bytes.size() >= kFrameHeaderSize) {
    FrameHeader h = parse_frame_header(bytes.data());
    EXPECT_GE(bytes.size(), kFrameHeaderSize + h.length);
    out.push_back({static_cast<FrameType>(h.type), h.flags, h.stream_id,
                   std::string(bytes.substr(kFrameHeaderSize, h.length))});
    bytes.remove_prefix(kFrameHeaderSize + h.length);
  }
  EXPECT_TRUE(bytes.empty());
  return out;
}

std::string client_start(std::vector<std::pair<SettingId, uint32_t>> settings = {}) {
  std::string s(kClientPreface);
  append_settings(settings, &s);
  return s;
}

std::string headers_frame(uint32_t stream, const std::vector<HeaderField>& fields, bool end,
                          uint32_t max_frame = 16384) {
  std::string block, out;
  HpackEncoder::encode(fields, &block);
  append_header_block(stream, block, end, max_frame, &out);
  return out;
}

std::vector<HeaderField> post(std::string path) {
  return {{":method", "POST"},
          {":scheme", "http"},
          {":path", std::move(path)},
          {":authority", "127.0.0.1:4317"},
          {"content-type", "application/grpc"},
          {"te", "trailers"}};
}

std::string data_frame(uint32_t stream, std::string_view data, bool end) {
  std::string out;
  append_frame(FrameType::kData, end ? flag::kEndStream : 0, stream, data, &out);
  return out;
}

const Frame* find(const std::vector<Frame>& frames, FrameType t) {
  for (const auto& f : frames) {
    if (f.type == t) return &f;
  }
  return nullptr;
}

uint32_t goaway_code(const std::vector<Frame>& frames) {
  const Frame* g = find(frames, FrameType::kGoaway);
  return g == nullptr ? 0xffffffff : read_u32(g->payload.data() + 4);
}

std::vector<HeaderField> decode_block(HpackDecoder& d, std::string_view block) {
  std::vector<HeaderField> out;
  bool too_large = false;
  EXPECT_TRUE(d.decode(block, 1 << 20, &out, &too_large).ok());
  return out;
}

class SessionTest : public ::testing::Test {
 protected:
  void start(SessionOptions o = {}) {
    session_ = std::make_unique<Session>(o);
    ASSERT_TRUE(session_->receive(client_start()).ok());
    auto frames = parse(session_->take_output());
    ASSERT_GE(frames.size(), 2u);
    EXPECT_EQ(frames[0].type, FrameType::kSettings);
    EXPECT_EQ(frames[0].flags, 0);
    const Frame* ack = nullptr;
    for (const auto& f : frames) {
      if (f.type == FrameType::kSettings && f.flags == flag::kAck) ack = &f;
    }
    ASSERT_NE(ack, nullptr) << "client SETTINGS not acknowledged";
  }
  std::unique_ptr<Session> session_;
};

TEST_F(SessionTest, ServerPrefaceAdvertisesLimits) {
  SessionOptions o;
  o.max_concurrent_streams = 7;
  Session s(o);
  auto frames = parse(s.take_output());
  ASSERT_FALSE(frames.empty());
  ASSERT_EQ(frames[0].type, FrameType::kSettings);
  bool saw = false;
  for (size_t i = 0; i + 6 <= frames[0].payload.size(); i += 6) {
    const auto id = (static_cast<uint8_t>(frames[0].payload[i]) << 8) |
                    static_cast<uint8_t>(frames[0].payload[i + 1]);
    if (id == static_cast<int>(SettingId::kMaxConcurrentStreams)) {
      EXPECT_EQ(read_u32(frames[0].payload.data() + i + 2), 7u);
      saw = true;
    }
  }
  EXPECT_TRUE(saw);
  // The connection window is opened beyond 65535.
  const Frame* wu = find(frames, FrameType::kWindowUpdate);
  ASSERT_NE(wu, nullptr);
  EXPECT_EQ(wu->stream, 0u);
}

TEST_F(SessionTest, RequestAndResponseWithTrailers) {
  start();
  std::string in = headers_frame(1, post("/svc/Method"), false) + data_frame(1, "hello ", false) +
                   data_frame(1, "world", true);
  ASSERT_TRUE(session_->receive(in).ok());
  auto reqs = session_->take_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].stream_id, 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/svc/Method");
  EXPECT_EQ(reqs[0].authority, "127.0.0.1:4317");
  EXPECT_EQ(reqs[0].body, "hello world");
  ASSERT_NE(reqs[0].header("content-type"), nullptr);
  EXPECT_EQ(*reqs[0].header("content-type"), "application/grpc");
  session_->take_output();

  ASSERT_TRUE(session_->respond(1, {{":status", "200"}, {"content-type", "application/grpc"}},
                                "response-bytes", {{"grpc-status", "0"}}));
  auto frames = parse(session_->take_output());
  ASSERT_EQ(frames.size(), 3u);
  HpackDecoder d;
  EXPECT_EQ(frames[0].type, FrameType::kHeaders);
  EXPECT_EQ(frames[0].flags & flag::kEndStream, 0);
  EXPECT_EQ(decode_block(d, frames[0].payload)[0], (HeaderField{":status", "200"}));
  EXPECT_EQ(frames[1].type, FrameType::kData);
  EXPECT_EQ(frames[1].payload, "response-bytes");
  EXPECT_EQ(frames[1].flags & flag::kEndStream, 0);
  EXPECT_EQ(frames[2].type, FrameType::kHeaders);
  EXPECT_EQ(frames[2].flags, flag::kEndStream | flag::kEndHeaders);
  EXPECT_EQ(decode_block(d, frames[2].payload), (std::vector<HeaderField>{{"grpc-status", "0"}}));
  EXPECT_EQ(session_->open_streams(), 0u);
  // A second answer for the same stream is refused.
  EXPECT_FALSE(session_->respond(1, {{":status", "200"}}, "", {}));
}

TEST_F(SessionTest, HeadersOnlyResponseEndsStream) {
  start();
  ASSERT_TRUE(session_->receive(headers_frame(1, post("/x"), true)).ok());
  ASSERT_EQ(session_->take_requests().size(), 1u);
  ASSERT_TRUE(session_->respond(1, {{":status", "200"}, {"grpc-status", "12"}}, "", {}));
  auto frames = parse(session_->take_output());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].flags, flag::kEndStream | flag::kEndHeaders);
}

TEST_F(SessionTest, ContinuationFramesAreJoined) {
  start();
  auto fields = post("/svc/Continued");
  fields.push_back({"x-long", std::string(200, 'v')});
  ASSERT_TRUE(session_->receive(headers_frame(1, fields, true, /*max_frame=*/16)).ok());
  auto reqs = session_->take_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/svc/Continued");
  ASSERT_NE(reqs[0].header("x-long"), nullptr);
  EXPECT_EQ(reqs[0].header("x-long")->size(), 200u);
}

TEST_F(SessionTest, RequestSplitIntoTinyReads) {
  start();
  std::string body(5000, 'b');
  for (size_t i = 0; i < body.size(); i++) body[i] = static_cast<char>('a' + i % 26);
  std::string in = headers_frame(3, post("/split"), false) +
                   data_frame(3, body.substr(0, 1234), false) +
                   data_frame(3, body.substr(1234), true);
  std::mt19937 rng(42);
  size_t pos = 0;
  while (pos < in.size()) {
    size_t n = std::min<size_t>(in.size() - pos, 1 + rng() % 7);
    ASSERT_TRUE(session_->receive(std::string_view(in).substr(pos, n)).ok());
    pos += n;
  }
  auto reqs = session_->take_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body, body);
}

TEST_F(SessionTest, PrefaceInTinyReads) {
  Session s;
  std::string in = client_start() + headers_frame(1, post("/p"), true);
  for (char c : in) ASSERT_TRUE(s.receive(std::string_view(&c, 1)).ok());
  EXPECT_EQ(s.take_requests().size(), 1u);
}

TEST_F(SessionTest, PingIsAnswered) {
  start();
  std::string in;
  append_ping(false, "12345678", &in);
  ASSERT_TRUE(session_->receive(in).ok());
  auto frames = parse(session_->take_output());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, FrameType::kPing);
  EXPECT_EQ(frames[0].flags, flag::kAck);
  EXPECT_EQ(frames[0].payload, "12345678");
}

TEST_F(SessionTest, SendFlowControlHonoursPeerWindows) {
  session_ = std::make_unique<Session>();
  // The client allows 100 bytes per stream and 16 KiB frames.
  ASSERT_TRUE(session_->receive(client_start({{SettingId::kInitialWindowSize, 100}})).ok());
  ASSERT_TRUE(session_->receive(headers_frame(1, post("/big"), true)).ok());
  session_->take_output();
  ASSERT_EQ(session_->take_requests().size(), 1u);
  ASSERT_TRUE(
      session_->respond(1, {{":status", "200"}}, std::string(250, 'r'), {{"grpc-status", "0"}}));
  auto frames = parse(session_->take_output());
  ASSERT_EQ(frames.size(), 2u);  // HEADERS + 100 bytes of DATA
  EXPECT_EQ(frames[1].payload.size(), 100u);
  // Nothing more until a WINDOW_UPDATE.
  EXPECT_TRUE(session_->take_output().empty());
  std::string wu;
  append_window_update(1, 1000, &wu);
  ASSERT_TRUE(session_->receive(wu).ok());
  frames = parse(session_->take_output());
  ASSERT_EQ(frames.size(), 2u);  // the remaining 150 bytes and the trailers
  EXPECT_EQ(frames[0].payload.size(), 150u);
  EXPECT_EQ(frames[1].type, FrameType::kHeaders);
  EXPECT_TRUE(frames[1].flags & flag::kEndStream);
}

TEST_F(SessionTest, SendRespectsConnectionWindowAndFrameSize) {
  start();
  ASSERT_TRUE(session_->receive(headers_frame(1, post("/big"), true)).ok());
  ASSERT_TRUE(session_->respond(1, {{":status", "200"}}, std::string(70000, 'r'), {}));
  auto frames = parse(session_->take_output());
  size_t sent = 0;
  for (const auto& f : frames) {
    if (f.type != FrameType::kData) continue;
    EXPECT_LE(f.payload.size(), kDefaultMaxFrameSize);
    sent += f.payload.size();
  }
  EXPECT_EQ(sent, kDefaultWindow);  // the connection window starts at 65535
  std::string wu;
  append_window_update(0, 10000, &wu);
  ASSERT_TRUE(session_->receive(wu).ok());
  EXPECT_TRUE(session_->take_output().empty());  // the stream window is spent too
  wu.clear();
  append_window_update(1, 10000, &wu);
  ASSERT_TRUE(session_->receive(wu).ok());
  frames = parse(session_->take_output());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].payload.size(), 70000u - kDefaultWindow);
  EXPECT_TRUE(frames[0].flags & flag::kEndStream);
}

TEST_F(SessionTest, ReceiveWindowIsReplenished) {
  SessionOptions o;
  o.initial_stream_window = 1000;
  start(o);
  ASSERT_TRUE(session_->receive(headers_frame(1, post("/up"), false)).ok());
  ASSERT_TRUE(session_->receive(data_frame(1, std::string(600, 'x'), false)).ok());
  auto frames = parse(session_->take_output());
  const Frame* wu = find(frames, FrameType::kWindowUpdate);
  ASSERT_NE(wu, nullptr);
  EXPECT_EQ(wu->stream, 1u);
  EXPECT_EQ(read_u32(wu->payload.data()), 600u);
}

TEST_F(SessionTest, DataBeyondStreamWindowResetsStream) {
  SessionOptions o;
  o.initial_stream_window = 100;
  o.max_frame_size = 16384;
  start(o);
  ASSERT_TRUE(session_->receive(headers_frame(1, post("/up"), false)).ok());
  ASSERT_TRUE(session_->receive(data_frame(1, std::string(101, 'x'), false)).ok());
  auto frames = parse(session_->take_output());
  const Frame* rst = find(frames, FrameType::kRstStream);
  ASSERT_NE(rst, nullptr);
  EXPECT_EQ(read_u32(rst->payload.data()), static_cast<uint32_t>(ErrorCode::kFlowControlError));
}

TEST_F(SessionTest, BodyTooLargeIsDeliveredEarlyThenReset) {
  SessionOptions o;
  o.max_body_bytes = 10;
  start(o);
  ASSERT_TRUE(session_
                  ->receive(headers_frame(1, post("/big"), false) +
                            data_frame(1, std::string(11, 'x'), false))
                  .ok());
  auto reqs = session_->take_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(reqs[0].body_too_large);
  ASSERT_TRUE(session_->respond(1, {{":status", "200"}, {"grpc-status", "8"}}, "", {}));
  auto frames = parse(session_->take_output());
  const Frame* rst = find(frames, FrameType::kRstStream);
  ASSERT_NE(rst, nullptr);
  EXPECT_EQ(read_u32(rst->payload.data()), static_cast<uint32_t>(ErrorCode::kNoError));
  // Late DATA on the reset stream is ignored.
  ASSERT_TRUE(session_->receive(data_frame(1, "more", true)).ok());
  EXPECT_TRUE(session_->take_requests().empty());
}

TEST_F(SessionTest, TooManyStreamsAreRefused) {
  SessionOptions o;
  o.max_concurrent_streams = 1;
  start(o);
  ASSERT_TRUE(session_->receive(headers_frame(1, post("/a"), true)).ok());
  ASSERT_TRUE(session_->receive(headers_frame(3, post("/b"), true)).ok());
  auto frames = parse(session_->take_output());
  const Frame* rst = find(frames, FrameType::kRstStream);
  ASSERT_NE(rst, nullptr);
  EXPECT_EQ(rst->stream, 3u);
  EXPECT_EQ(read_u32(rst->payload.data()), static_cast<uint32_t>(ErrorCode::kRefusedStream));
  EXPECT_EQ(session_->take_requests().size(), 1u);
}

TEST_F(SessionTest, OversizedHeaderListIsAnswered431) {
  SessionOptions o;
  o.max_header_list_size = 256;
  start(o);
  auto fields = post("/h");
  fields.push_back({"x-big", std::string(300, 'h')});
  ASSERT_TRUE(session_->receive(headers_frame(1, fields, true)).ok());
  EXPECT_TRUE(session_->take_requests().empty());
  auto frames = parse(session_->take_output());
  const Frame* h = find(frames, FrameType::kHeaders);
  ASSERT_NE(h, nullptr);
  HpackDecoder d;
  EXPECT_EQ(decode_block(d, h->payload)[0], (HeaderField{":status", "431"}));
}

TEST_F(SessionTest, MalformedRequestsAreResetNotFatal) {
  start();
  // Upper-case name, missing :path, connection-specific header, pseudo after regular.
  std::vector<std::vector<HeaderField>> bad = {
      {{":method", "POST"}, {":scheme", "http"}, {":path", "/"}, {"Upper", "x"}},
      {{":method", "POST"}, {":scheme", "http"}},
      {{":method", "POST"}, {":scheme", "http"}, {":path", "/"}, {"connection", "close"}},
      {{":method", "POST"}, {"a", "b"}, {":scheme", "http"}, {":path", "/"}},
      {{":method", "POST"}, {":scheme", "http"}, {":path", "/"}, {"te", "gzip"}},
  };
  uint32_t id = 1;
  for (const auto& fields : bad) {
    ASSERT_TRUE(session_->receive(headers_frame(id, fields, true)).ok());
    auto frames = parse(session_->take_output());
    const Frame* rst = find(frames, FrameType::kRstStream);
    ASSERT_NE(rst, nullptr) << id;
    EXPECT_EQ(rst->stream, id);
    id += 2;
  }
  EXPECT_TRUE(session_->take_requests().empty());
  // The connection still works.
  ASSERT_TRUE(session_->receive(headers_frame(id, post("/ok"), true)).ok());
  EXPECT_EQ(session_->take_requests().size(), 1u);
}

TEST_F(SessionTest, PeerResetDropsResponse) {
  start();
  ASSERT_TRUE(session_->receive(headers_frame(1, post("/a"), true)).ok());
  std::string rst;
  append_rst_stream(1, ErrorCode::kCancel, &rst);
  ASSERT_TRUE(session_->receive(rst).ok());
  EXPECT_FALSE(session_->respond(1, {{":status", "200"}}, "x", {}));
}

TEST_F(SessionTest, GracefulShutdown) {
  start();
  ASSERT_TRUE(session_->receive(headers_frame(1, post("/a"), true)).ok());
  session_->shutdown();
  EXPECT_FALSE(session_->should_close());  // stream 1 still to answer
  auto frames = parse(session_->take_output());
  EXPECT_EQ(goaway_code(frames), 0u);
  // New streams are refused after GOAWAY.
  ASSERT_TRUE(session_->receive(headers_frame(3, post("/b"), true)).ok());
  ASSERT_TRUE(session_->respond(1, {{":status", "200"}}, "", {}));
  EXPECT_TRUE(session_->should_close());
}

// Connection errors: each input yields GOAWAY with the expected code and a failed receive().
struct BadInput {
  const char* name;
  std::string bytes;
  ErrorCode code;
};

std::vector<BadInput> bad_inputs() {
  std::vector<BadInput> v;
  std::string f;
  v.push_back({"not http2", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ErrorCode::kProtocolError});
  {
    std::string s(kClientPreface);
    append_ping(false, "12345678", &s);
    v.push_back({"first frame not SETTINGS", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    append_frame(FrameType::kData, 0, 0, "x", &s);
    v.push_back({"DATA on stream 0", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    append_frame(FrameType::kData, 0, 5, "x", &s);
    v.push_back({"DATA on idle stream", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    append_frame(FrameType::kSettings, 0, 0, "12345", &s);
    v.push_back({"SETTINGS length", s, ErrorCode::kFrameSizeError});
  }
  {
    std::string s = client_start();
    append_settings({{SettingId::kInitialWindowSize, 0x80000000u}}, &s);
    v.push_back({"INITIAL_WINDOW_SIZE too large", s, ErrorCode::kFlowControlError});
  }
  {
    std::string s = client_start();
    append_settings({{SettingId::kMaxFrameSize, 100}}, &s);
    v.push_back({"MAX_FRAME_SIZE too small", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    append_frame(FrameType::kPing, 0, 0, "1234", &s);
    v.push_back({"PING length", s, ErrorCode::kFrameSizeError});
  }
  {
    std::string s = client_start();
    append_window_update(0, 0, &s);
    v.push_back({"WINDOW_UPDATE 0", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    append_window_update(0, 0x7fffffff, &s);
    v.push_back({"connection window overflow", s, ErrorCode::kFlowControlError});
  }
  {
    std::string s = client_start() + headers_frame(2, post("/"), true);
    v.push_back({"even stream id", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    std::string block;
    HpackEncoder::encode(post("/"), &block);
    append_frame(FrameType::kHeaders, 0, 1, block, &s);  // no END_HEADERS
    append_ping(false, "12345678", &s);
    v.push_back({"frame between HEADERS and CONTINUATION", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    append_frame(FrameType::kContinuation, flag::kEndHeaders, 1, "", &s);
    v.push_back({"stray CONTINUATION", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    append_frame(FrameType::kHeaders, flag::kEndHeaders, 1, std::string("\x80", 1), &s);
    v.push_back({"HPACK index 0", s, ErrorCode::kCompressionError});
  }
  {
    std::string s = client_start();
    append_frame(FrameType::kHeaders, flag::kEndHeaders | flag::kPadded, 1,
                 std::string("\x05\x82", 2), &s);
    v.push_back({"padding longer than payload", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    std::string big(20000, 'x');
    append_frame(FrameType::kData, 0, 1, big, &s);
    v.push_back({"frame above MAX_FRAME_SIZE", s, ErrorCode::kFrameSizeError});
  }
  {
    std::string s = client_start();
    append_frame(FrameType::kPushPromise, flag::kEndHeaders, 1, "0000", &s);
    v.push_back({"PUSH_PROMISE from client", s, ErrorCode::kProtocolError});
  }
  {
    std::string s = client_start();
    append_rst_stream(9, ErrorCode::kCancel, &s);
    v.push_back({"RST_STREAM on idle stream", s, ErrorCode::kProtocolError});
  }
  return v;
}

TEST(SessionErrors, BadFramesAnswerGoaway) {
  for (const auto& b : bad_inputs()) {
    Session s;
    s.take_output();
    Status st = s.receive(b.bytes);
    EXPECT_FALSE(st.ok()) << b.name;
    EXPECT_TRUE(s.should_close()) << b.name;
    auto frames = parse(s.take_output());
    EXPECT_EQ(goaway_code(frames), static_cast<uint32_t>(b.code)) << b.name;
    // Further input is ignored.
    EXPECT_FALSE(s.receive("more").ok()) << b.name;
  }
}

TEST(SessionErrors, RandomGarbageNeverCrashes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; round++) {
    Session s;
    std::string in = client_start();
    const size_t n = rng() % 300;
    for (size_t i = 0; i < n; i++) in.push_back(static_cast<char>(rng()));
    (void)s.receive(in);
    s.take_output();
    for (const auto& r : s.take_requests())
      (void)s.respond(r.stream_id, {{":status", "200"}}, "x", {});
    s.take_output();
  }
}

}  // namespace
}  // namespace opsight::http2
