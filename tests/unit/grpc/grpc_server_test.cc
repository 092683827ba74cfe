// GrpcServer over a real loopback socket with a fake router: a unary call answered with a
// message and grpc-status 0, an unknown method answered UNIMPLEMENTED, and garbage answered
// with GOAWAY. The client side is written with the http2 helpers and blocking POSIX sockets.
#include "api/grpc/grpc_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>

#include "api/grpc/grpc_bridge.h"
#include "net/http2/frame.h"
#include "net/http2/hpack.h"

namespace opsight::api {
namespace {

using http2::HeaderField;

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    timeval tv{10, 0};  // a bound on a broken test, not a timing assertion
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::write(fd_, s.data(), s.size());
      if (n <= 0) return;
      s.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Reads frames until one matches `done` or the connection closes.
  template <typename Pred>
  std::vector<std::pair<http2::FrameHeader, std::string>> read_until(Pred done) {
    std::vector<std::pair<http2::FrameHeader, std::string>> frames;
    while (true) {
      while (buf_.size() >= http2::kFrameHeaderSize) {
        auto h = http2::parse_frame_header(buf_.data());
        if (buf_.size() < http2::kFrameHeaderSize + h.length) break;
        frames.emplace_back(h, buf_.substr(http2::kFrameHeaderSize, h.length));
        buf_.erase(0, http2::kFrameHeaderSize + h.length);
        if (done(frames.back().first)) return frames;
      }
      char tmp[4096];
      ssize_t n = ::read(fd_, tmp, sizeof(tmp));
      if (n <= 0) return frames;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::string call_bytes(uint32_t stream, const std::string& path, const std::string& message) {
  std::string out(http2::kClientPreface);
  http2::append_settings({}, &out);
  std::string block;
  http2::HpackEncoder::encode({{":method", "POST"},
                               {":scheme", "http"},
                               {":path", path},
                               {":authority", "localhost"},
                               {"content-type", "application/grpc"},
                               {"te", "trailers"}},
                              &block);
  http2::append_header_block(stream, block, false, 16384, &out);
  http2::append_frame(http2::FrameType::kData, http2::flag::kEndStream, stream,
                      grpc::frame_message(message), &out);
  return out;
}

std::map<std::string, std::string> all_fields(
    const std::vector<std::pair<http2::FrameHeader, std::string>>& frames, std::string* data) {
  http2::HpackDecoder d;
  std::map<std::string, std::string> fields;
  for (const auto& [h, payload] : frames) {
    if (h.type == static_cast<uint8_t>(http2::FrameType::kHeaders)) {
      std::vector<HeaderField> out;
      bool too_large = false;
      EXPECT_TRUE(d.decode(payload, 1 << 20, &out, &too_large).ok());
      for (auto& f : out) fields[f.name] = f.value;
    } else if (h.type == static_cast<uint8_t>(http2::FrameType::kData)) {
      data->append(payload);
    }
  }
  return fields;
}

bool ends_stream_1(const http2::FrameHeader& h) {
  return h.stream_id == 1 && (h.flags & http2::flag::kEndStream) &&
         (h.type == static_cast<uint8_t>(http2::FrameType::kHeaders) ||
          h.type == static_cast<uint8_t>(http2::FrameType::kData));
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("POST", "/v1/traces", [this](HttpRequest& r) {
      seen_body_ = r.body;
      seen_ct_ = std::string(r.header("content-type").value_or(""));
      HttpResponse resp;
      resp.content_type = "application/x-protobuf";
      resp.body = "ok:" + r.body;
      return resp;
    });
    GrpcServerOptions o;
    o.listen = "127.0.0.1:0";
    auto s = GrpcServer::start(o, &router_);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    server_ = std::move(*s);
  }
  void TearDown() override {
    if (server_) server_->stop(1000);
  }
  Router router_;
  std::unique_ptr<GrpcServer> server_;
  std::string seen_body_, seen_ct_;
};

TEST_F(GrpcServerTest, UnaryExport) {
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  c.send(call_bytes(1, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", "spans"));
  auto frames = c.read_until(ends_stream_1);
  std::string data;
  auto fields = all_fields(frames, &data);
  EXPECT_EQ(fields[":status"], "200");
  EXPECT_EQ(fields["content-type"], "application/grpc");
  EXPECT_EQ(fields["grpc-status"], "0");
  EXPECT_EQ(data, grpc::frame_message("ok:spans"));
  EXPECT_EQ(seen_body_, "spans");
  EXPECT_EQ(seen_ct_, "application/x-protobuf");
}

TEST_F(GrpcServerTest, UnknownMethodIsUnimplemented) {
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  c.send(call_bytes(1, "/helloworld.Greeter/SayHello", "x"));
  auto frames = c.read_until(ends_stream_1);
  std::string data;
  auto fields = all_fields(frames, &data);
  EXPECT_EQ(fields["grpc-status"], "12");
  EXPECT_TRUE(data.empty());
}

TEST_F(GrpcServerTest, GarbageGetsGoaway) {
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto frames = c.read_until([](const http2::FrameHeader& h) {
    return h.type == static_cast<uint8_t>(http2::FrameType::kGoaway);
  });
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().first.type, static_cast<uint8_t>(http2::FrameType::kGoaway));
  EXPECT_EQ(http2::read_u32(frames.back().second.data() + 4),
            static_cast<uint32_t>(http2::ErrorCode::kProtocolError));
}

}  // namespace
}  // namespace opsight::api
