// The OTLP/gRPC <-> OTLP/HTTP translation: method mapping, Length-Prefixed-Message checks,
// compression, error mapping (google.rpc.Status bodies, JSON bodies, RetryInfo), and the
// HTTP/2 fields of success and Trailers-Only answers.
#include "api/grpc/grpc_bridge.h"

#include <gtest/gtest.h>

#include "wire/protobuf.h"

namespace opsight::api::grpc {
namespace {

http2::Request call(std::string path, std::string body, std::string ct = "application/grpc") {
  http2::Request r;
  r.stream_id = 1;
  r.method = "POST";
  r.scheme = "http";
  r.path = std::move(path);
  r.headers = {{"content-type", std::move(ct)}, {"te", "trailers"}, {"user-agent", "test"}};
  r.body = std::move(body);
  return r;
}

constexpr const char* kTraces = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

TEST(GrpcBridge, MapsTheThreeOtlpServices) {
  EXPECT_EQ(otlp_http_path(kTraces), "/v1/traces");
  EXPECT_EQ(otlp_http_path("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"),
            "/v1/metrics");
  EXPECT_EQ(otlp_http_path("/opentelemetry.proto.collector.logs.v1.LogsService/Export"),
            "/v1/logs");
  EXPECT_EQ(otlp_http_path("/opentelemetry.proto.collector.trace.v1.TraceService/Other"), "");
}

TEST(GrpcBridge, BuildsTheOtlpHttpRequest) {
  auto out = to_http_request(call(kTraces, frame_message("payload")), {}, "10.0.0.1");
  ASSERT_TRUE(std::holds_alternative<HttpRequest>(out));
  const auto& req = std::get<HttpRequest>(out);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/v1/traces");
  EXPECT_EQ(req.body, "payload");
  EXPECT_EQ(req.remote_addr, "10.0.0.1");
  EXPECT_EQ(req.header("content-type").value_or(""), "application/x-protobuf");
  EXPECT_FALSE(req.header("content-encoding").has_value());
  EXPECT_FALSE(req.header("te").has_value());
  EXPECT_EQ(req.header("user-agent").value_or(""), "test");
}

TEST(GrpcBridge, GzipMessageBecomesContentEncoding) {
  std::string framed = frame_message("zz");
  framed[0] = 1;
  auto c = call(kTraces, framed, "application/grpc+proto");
  c.headers.push_back({"grpc-encoding", "gzip"});
  auto out = to_http_request(c, {}, "");
  ASSERT_TRUE(std::holds_alternative<HttpRequest>(out));
  EXPECT_EQ(std::get<HttpRequest>(out).header("content-encoding").value_or(""), "gzip");
}

GrpcReply reply_of(const std::variant<HttpRequest, GrpcReply>& v) {
  EXPECT_TRUE(std::holds_alternative<GrpcReply>(v));
  return std::holds_alternative<GrpcReply>(v) ? std::get<GrpcReply>(v) : GrpcReply{};
}

TEST(GrpcBridge, ImmediateErrors) {
  EXPECT_EQ(reply_of(to_http_request(call("/pkg.Svc/Method", frame_message("x")), {}, "")).code,
            GrpcCode::kUnimplemented);
  auto ct =
      reply_of(to_http_request(call(kTraces, frame_message("x"), "application/json"), {}, ""));
  EXPECT_EQ(ct.http_status, 415);
  EXPECT_EQ(reply_of(to_http_request(call(kTraces, "abc"), {}, "")).code, GrpcCode::kInternal);
  EXPECT_EQ(reply_of(to_http_request(call(kTraces, frame_message("x") + "y"), {}, "")).code,
            GrpcCode::kInternal);
  BridgeOptions small;
  small.max_message_bytes = 4;
  EXPECT_EQ(reply_of(to_http_request(call(kTraces, frame_message("12345")), small, "")).code,
            GrpcCode::kResourceExhausted);
  auto big = call(kTraces, "");
  big.body_too_large = true;
  EXPECT_EQ(reply_of(to_http_request(big, {}, "")).code, GrpcCode::kResourceExhausted);
  std::string framed = frame_message("zz");
  framed[0] = 1;
  auto snappy = call(kTraces, framed);
  snappy.headers.push_back({"grpc-encoding", "snappy"});
  EXPECT_EQ(reply_of(to_http_request(snappy, {}, "")).code, GrpcCode::kUnimplemented);
  EXPECT_EQ(reply_of(to_http_request(call(kTraces, framed), {}, "")).code, GrpcCode::kInternal);
}

TEST(GrpcBridge, SuccessIsMessageAndTrailers) {
  HttpResponse ok;
  ok.status = 200;
  ok.content_type = "application/x-protobuf";
  ok.body = "resp";
  GrpcReply r = from_http_response(ok);
  EXPECT_EQ(r.code, GrpcCode::kOk);
  std::vector<http2::HeaderField> headers, trailers;
  std::string body;
  r.to_http2(&headers, &body, &trailers);
  EXPECT_EQ(headers[0], (http2::HeaderField{":status", "200"}));
  EXPECT_EQ(headers[1], (http2::HeaderField{"content-type", "application/grpc"}));
  EXPECT_EQ(body, frame_message("resp"));
  EXPECT_EQ(trailers, (std::vector<http2::HeaderField>{{"grpc-status", "0"}}));
}

TEST(GrpcBridge, RpcStatusBodyBecomesTrailersOnly) {
  HttpResponse bad;
  bad.status = 400;
  bad.content_type = "application/x-protobuf";
  wire::pb::Writer w;
  w.varint(1, 3);
  w.bytes(2, "span 2: trace_id must be 16 bytes 100%");
  bad.body = w.take();
  GrpcReply r = from_http_response(bad);
  EXPECT_EQ(r.code, GrpcCode::kInvalidArgument);
  EXPECT_EQ(r.message, "span 2: trace_id must be 16 bytes 100%");
  EXPECT_TRUE(r.status_details.empty());
  std::vector<http2::HeaderField> headers, trailers;
  std::string body;
  r.to_http2(&headers, &body, &trailers);
  EXPECT_TRUE(body.empty());
  EXPECT_TRUE(trailers.empty());
  EXPECT_EQ(headers[3], (http2::HeaderField{"grpc-status", "3"}));
  EXPECT_EQ(headers[4],
            (http2::HeaderField{"grpc-message", "span 2: trace_id must be 16 bytes 100%25"}));
}

TEST(GrpcBridge, OverloadCarriesRetryInfo) {
  HttpResponse busy;
  busy.status = 429;
  busy.content_type = "application/json";
  busy.body = R"({"code":"ThrottlingException","message":"slow down"})";
  busy.headers.emplace_back("Retry-After", "3");
  GrpcReply r = from_http_response(busy);
  EXPECT_EQ(r.code, GrpcCode::kResourceExhausted);
  EXPECT_EQ(r.message, "slow down");
  EXPECT_EQ(r.retry_after_s, 3);
  // google.rpc.Status{code=8, message, details=[Any{type_url, RetryInfo{Duration{3}}}]}
  wire::pb::Reader st(r.status_details);
  std::string_view any;
  uint64_t code = 0;
  while (st.next()) {
    if (st.field() == 1) code = st.varint();
    if (st.field() == 3) any = st.bytes();
  }
  EXPECT_EQ(code, 8u);
  wire::pb::Reader a(any);
  std::string_view type_url, value;
  while (a.next()) {
    if (a.field() == 1) type_url = a.bytes();
    if (a.field() == 2) value = a.bytes();
  }
  EXPECT_EQ(type_url, "type.googleapis.com/google.rpc.RetryInfo");
  wire::pb::Reader ri(value);
  ASSERT_TRUE(ri.next());
  wire::pb::Reader dur(ri.bytes());
  ASSERT_TRUE(dur.next());
  EXPECT_EQ(dur.varint(), 3u);

  GrpcReply o = overloaded_reply();
  EXPECT_EQ(o.code, GrpcCode::kUnavailable);
  EXPECT_FALSE(o.status_details.empty());
}

TEST(GrpcBridge, Encodings) {
  EXPECT_EQ(percent_encode("a b%c\n\xc3\xa9"), "a b%25c%0A%C3%A9");
  EXPECT_EQ(base64_unpadded(""), "");
  EXPECT_EQ(base64_unpadded("f"), "Zg");
  EXPECT_EQ(base64_unpadded("fo"), "Zm8");
  EXPECT_EQ(base64_unpadded("foo"), "Zm9v");
  EXPECT_EQ(base64_unpadded("foobar"), "Zm9vYmFy");
  EXPECT_EQ(frame_message("ab"), std::string("\0\0\0\0\x02"
                                             "ab",
                                             7));
  EXPECT_EQ(grpc_code_for_http(503), GrpcCode::kUnavailable);
  EXPECT_EQ(grpc_code_for_http(418), GrpcCode::kUnknown);
}

}  // namespace
}  // namespace opsight::api::grpc
