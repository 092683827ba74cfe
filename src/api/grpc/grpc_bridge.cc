#include "api/grpc/grpc_bridge.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "wire/protobuf.h"

namespace opsight::api::grpc {
namespace {

constexpr std::string_view kGrpcContentType = "application/grpc";
constexpr std::string_view kAcceptEncoding = "identity,gzip";
constexpr size_t kMaxGrpcMessage = 1024;  // grpc-message is for people; keep trailers small

uint32_t be32(std::string_view s) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  return (static_cast<uint32_t>(u[0]) << 24) | (static_cast<uint32_t>(u[1]) << 16) |
         (static_cast<uint32_t>(u[2]) << 8) | static_cast<uint32_t>(u[3]);
}

// "application/grpc", "application/grpc+proto", optionally with parameters.
bool is_grpc_proto(std::string_view ct) {
  if (!ct.starts_with(kGrpcContentType)) return false;
  std::string_view rest = ct.substr(kGrpcContentType.size());
  if (auto semi = rest.find(';'); semi != std::string_view::npos) rest = rest.substr(0, semi);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return rest.empty() || rest == "+proto";
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

GrpcReply GrpcReply::error(GrpcCode code, std::string message) {
  GrpcReply r;
  r.code = code;
  r.message = std::move(message);
  return r;
}

void GrpcReply::to_http2(std::vector<http2::HeaderField>* headers, std::string* body,
                         std::vector<http2::HeaderField>* trailers) const {
  headers->clear();
  trailers->clear();
  body->clear();
  headers->push_back({":status", std::to_string(http_status)});
  headers->push_back({"content-type", std::string(kGrpcContentType)});
  headers->push_back({"grpc-accept-encoding", std::string(kAcceptEncoding)});
  std::vector<http2::HeaderField> status = {
      {"grpc-status", std::to_string(static_cast<int>(code))}};
  if (!message.empty()) {
    status.push_back({"grpc-message", percent_encode(message.substr(0, kMaxGrpcMessage))});
  }
  if (!status_details.empty()) {
    status.push_back({"grpc-status-details-bin", base64_unpadded(status_details)});
  }
  if (code == GrpcCode::kOk && http_status == 200) {
    *body = frame_message(response);
    *trailers = std::move(status);
    return;
  }
  // Trailers-Only.
  headers->insert(headers->end(), status.begin(), status.end());
}

std::string_view otlp_http_path(std::string_view grpc_path) {
  if (grpc_path == "/opentelemetry.proto.collector.trace.v1.TraceService/Export") {
    return "/v1/traces";
  }
  if (grpc_path == "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export") {
    return "/v1/metrics";
  }
  if (grpc_path == "/opentelemetry.proto.collector.logs.v1.LogsService/Export") {
    return "/v1/logs";
  }
  return {};
}

std::variant<HttpRequest, GrpcReply> to_http_request(const http2::Request& req,
                                                     const BridgeOptions& options,
                                                     std::string_view remote_addr) {
  const std::string* ct = req.header("content-type");
  if (ct == nullptr || !is_grpc_proto(*ct)) {
    // PROTOCOL-HTTP2.md: a non-gRPC content type is answered 415 so that a plain HTTP/2 client
    // does not read a gRPC error (status 200) as success.
    GrpcReply r =
        GrpcReply::error(GrpcCode::kInternal,
                         "content-type must be application/grpc or application/grpc+proto, got \"" +
                             (ct == nullptr ? std::string() : *ct) + "\"");
    r.http_status = 415;
    return r;
  }
  if (req.method != "POST") {
    GrpcReply r = GrpcReply::error(GrpcCode::kUnimplemented, "gRPC calls use POST");
    r.http_status = 405;
    return r;
  }
  const std::string_view path = otlp_http_path(req.path);
  if (path.empty()) {
    return GrpcReply::error(GrpcCode::kUnimplemented,
                            "unknown method " + req.path +
                                " (served: opentelemetry.proto.collector.{trace,metrics,logs}.v1 "
                                "Export)");
  }
  if (req.body_too_large) {
    return GrpcReply::error(GrpcCode::kResourceExhausted,
                            "request message larger than the limit of " +
                                std::to_string(options.max_message_bytes) +
                                " bytes (http.max_body_bytes)");
  }
  std::string_view body = req.body;
  if (body.size() < 5) {
    return GrpcReply::error(GrpcCode::kInternal,
                            "unary call carried no complete Length-Prefixed-Message");
  }
  const uint8_t compressed = static_cast<uint8_t>(body[0]);
  const uint64_t len = be32(body.substr(1, 4));
  if (len > options.max_message_bytes) {
    return GrpcReply::error(GrpcCode::kResourceExhausted,
                            "request message of " + std::to_string(len) +
                                " bytes is larger than the limit of " +
                                std::to_string(options.max_message_bytes) + " bytes");
  }
  if (compressed > 1 || body.size() != 5 + len) {
    return GrpcReply::error(GrpcCode::kInternal,
                            body.size() < 5 + len
                                ? "truncated request message"
                                : "unary call must carry exactly one request message");
  }
  std::string encoding;
  if (const std::string* e = req.header("grpc-encoding")) encoding = *e;
  if (compressed == 1) {
    if (encoding.empty() || encoding == "identity") {
      return GrpcReply::error(GrpcCode::kInternal,
                              "message flagged compressed but grpc-encoding is identity");
    }
    if (encoding != "gzip") {
      GrpcReply r = GrpcReply::error(
          GrpcCode::kUnimplemented,
          "grpc-encoding \"" + encoding + "\" is not supported (supported: identity, gzip)");
      return r;
    }
  }
  HttpRequest out;
  out.method = "POST";
  out.target = std::string(path);
  out.path = std::string(path);
  out.remote_addr = std::string(remote_addr);
  for (const auto& f : req.headers) {
    if (f.name == "content-type" || f.name == "content-encoding" || f.name == "content-length" ||
        f.name == "te" || f.name.starts_with("grpc-")) {
      continue;
    }
    out.headers.emplace_back(f.name, f.value);
  }
  out.headers.emplace_back("content-type", "application/x-protobuf");
  if (compressed == 1) out.headers.emplace_back("content-encoding", "gzip");
  out.body.assign(body.substr(5));
  return out;
}

GrpcCode grpc_code_for_http(int http_status) {
  switch (http_status) {
    case 400:
      return GrpcCode::kInvalidArgument;
    case 401:
      return GrpcCode::kUnauthenticated;
    case 403:
      return GrpcCode::kPermissionDenied;
    case 404:
      return GrpcCode::kNotFound;
    case 409:
      return GrpcCode::kAlreadyExists;
    case 413:
    case 429:
      return GrpcCode::kResourceExhausted;
    case 415:
      return GrpcCode::kInvalidArgument;
    case 499:
      return GrpcCode::kCancelled;
    case 500:
      return GrpcCode::kInternal;
    case 501:
      return GrpcCode::kUnimplemented;
    case 502:
    case 503:
      return GrpcCode::kUnavailable;
    case 504:
      return GrpcCode::kDeadlineExceeded;
    default:
      return GrpcCode::kUnknown;
  }
}

GrpcReply from_http_response(const HttpResponse& resp) {
  if (resp.status == 200) {
    GrpcReply r;
    r.response = resp.body;
    return r;
  }
  GrpcCode code = grpc_code_for_http(resp.status);
  std::string message;
  if (resp.content_type.starts_with("application/x-protobuf")) {
    // google.rpc.Status {int32 code = 1; string message = 2; repeated Any details = 3;}
    wire::pb::Reader r(resp.body);
    while (r.next()) {
      if (r.field() == 1) {
        const uint64_t c = r.varint();
        if (c >= 1 && c <= 16) code = static_cast<GrpcCode>(c);
      } else if (r.field() == 2) {
        message = std::string(r.bytes());
      }
    }
  } else if (resp.content_type.starts_with("application/json")) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(resp.body).get(doc) == simdjson::SUCCESS) {
      std::string_view m;
      if (doc["message"].get_string().get(m) == simdjson::SUCCESS) message = std::string(m);
      int64_t c = 0;
      if (doc["code"].get_int64().get(c) == simdjson::SUCCESS && c >= 1 && c <= 16) {
        code = static_cast<GrpcCode>(c);
      }
    }
  }
  if (message.empty()) message = resp.body.substr(0, kMaxGrpcMessage);
  if (message.empty()) message = "HTTP status " + std::to_string(resp.status);
  GrpcReply r = GrpcReply::error(code, std::move(message));
  for (const auto& [k, v] : resp.headers) {
    if (!iequals(k, "retry-after")) continue;
    int64_t s = 1;
    std::from_chars(v.data(), v.data() + v.size(), s);
    r.retry_after_s = std::max<int64_t>(s, 1);
  }
  // OTLP: RESOURCE_EXHAUSTED is retried only with a RetryInfo; UNAVAILABLE always.
  if (r.retry_after_s > 0 &&
      (code == GrpcCode::kResourceExhausted || code == GrpcCode::kUnavailable)) {
    r.status_details = encode_rpc_status(code, r.message, r.retry_after_s);
  } else {
    r.retry_after_s = 0;
  }
  return r;
}

GrpcReply overloaded_reply() {
  GrpcReply r = GrpcReply::error(GrpcCode::kUnavailable,
                                 "server overloaded: the request queue is full; retry later");
  r.retry_after_s = 1;
  r.status_details = encode_rpc_status(r.code, r.message, 1);
  return r;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string base64_unpadded(std::string_view s) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= s.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(s[i]) << 16) | (static_cast<uint8_t>(s[i + 1]) << 8) |
                       static_cast<uint8_t>(s[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (const size_t rest = s.size() - i; rest > 0) {
    uint32_t v = static_cast<uint8_t>(s[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(s[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::string frame_message(std::string_view message) {
  std::string out;
  out.reserve(5 + message.size());
  out.push_back('\0');
  const auto n = static_cast<uint32_t>(message.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(message);
  return out;
}

std::string encode_rpc_status(GrpcCode code, std::string_view message, int64_t retry_after_s) {
  wire::pb::Writer st;
  st.varint(1, static_cast<uint64_t>(code));
  st.bytes(2, message);
  if (retry_after_s > 0) {
    wire::pb::Writer duration;  // google.protobuf.Duration {int64 seconds = 1;}
    duration.varint(1, static_cast<uint64_t>(retry_after_s));
    wire::pb::Writer retry;  // google.rpc.RetryInfo {Duration retry_delay = 1;}
    retry.bytes(1, duration.take());
    wire::pb::Writer any;  // google.protobuf.Any {string type_url = 1; bytes value = 2;}
    any.bytes(1, "type.googleapis.com/google.rpc.RetryInfo");
    any.bytes(2, retry.take());
    st.bytes(3, any.take());
  }
  return st.take();
}

}  // namespace opsight::api::grpc
