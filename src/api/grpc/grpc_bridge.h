#pragma once
// OTLP/gRPC as a translation onto the OTLP/HTTP handlers. A unary gRPC call
//   POST /opentelemetry.proto.collector.{trace,metrics,logs}.v1.{Trace,Metrics,Logs}Service/Export
// becomes the internal request POST /v1/{traces,metrics,logs} with
// content-type application/x-protobuf (and content-encoding gzip when the gRPC message is
// compressed), so the decoders and limits are literally those of OTLP/HTTP. The HTTP answer
// becomes the gRPC answer: 200 -> grpc-status 0 with the Export*ServiceResponse (partial_success
// included) as the response message; an error -> the google.rpc.Status of the body (code,
// message) in grpc-status / grpc-message, with a google.rpc.RetryInfo in grpc-status-details-bin
// when the handler asked the client to retry later (Retry-After).
//
// Specifications: gRPC over HTTP/2, grpc/grpc doc/PROTOCOL-HTTP2.md (Length-Prefixed-Message,
// Trailers-Only, grpc-message percent-encoding, binary "-bin" headers in base64) and
// doc/statuscodes.md; OTLP, opentelemetry-proto docs/specification.md "OTLP/gRPC" (failures,
// throttling with RetryInfo); google/rpc/status.proto and error_details.proto.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/http/http.h"
#include "net/http2/hpack.h"
#include "net/http2/session.h"

namespace opsight::api::grpc {

// gRPC status codes (doc/statuscodes.md).
enum class GrpcCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// The answer to one call, before it is put into HTTP/2 header fields and DATA.
struct GrpcReply {
  int http_status = 200;  // 200 for every gRPC answer; 415/405 for requests that are not gRPC
  GrpcCode code = GrpcCode::kOk;
  std::string message;         // grpc-message (not yet percent-encoded)
  std::string response;        // the response message (serialized protobuf) when code is kOk
  std::string status_details;  // serialized google.rpc.Status for grpc-status-details-bin
  int64_t retry_after_s = 0;   // > 0: a RetryInfo with this delay is in status_details

  static GrpcReply error(GrpcCode code, std::string message);

  // HTTP/2 fields for Session::respond: a response with trailers when code is kOk, otherwise
  // Trailers-Only (one HEADERS frame with END_STREAM).
  void to_http2(std::vector<http2::HeaderField>* headers, std::string* body,
                std::vector<http2::HeaderField>* trailers) const;
};

struct BridgeOptions {
  uint64_t max_message_bytes = 64ull << 20;  // larger messages: RESOURCE_EXHAUSTED
};

// The OTLP/HTTP path for an OTLP gRPC method path, or "" when the method is unknown.
std::string_view otlp_http_path(std::string_view grpc_path);

// Translates a call into the internal HTTP request, or into an immediate reply (unknown method,
// not gRPC, malformed or oversized message, unsupported compression).
std::variant<HttpRequest, GrpcReply> to_http_request(const http2::Request& req,
                                                     const BridgeOptions& options,
                                                     std::string_view remote_addr);

// Translates the handler's answer.
GrpcReply from_http_response(const HttpResponse& resp);

// The answer when the worker queue is full: UNAVAILABLE with a RetryInfo of one second.
GrpcReply overloaded_reply();

// gRPC status for an HTTP status (OTLP/HTTP's and the HTTP-to-gRPC mapping of
// doc/http-grpc-status-mapping.md, with 400 -> INVALID_ARGUMENT and 429 -> RESOURCE_EXHAUSTED
// as OTLP uses them).
GrpcCode grpc_code_for_http(int http_status);

// grpc-message encoding: bytes outside 0x20-0x7E and '%' become %XX.
std::string percent_encode(std::string_view s);
// Base64 (RFC 4648 §4) without padding, as gRPC emits "-bin" header values.
std::string base64_unpadded(std::string_view s);
// Length-Prefixed-Message: compressed flag 0, 4-byte big-endian length, message.
std::string frame_message(std::string_view message);
// google.rpc.Status {code, message, details: [Any(google.rpc.RetryInfo)]} when retry_after_s
// > 0, else without details.
std::string encode_rpc_status(GrpcCode code, std::string_view message, int64_t retry_after_s);

}  // namespace opsight::api::grpc
