#pragma once
// Smithy RPC v2 CBOR (smithy.io "RPC v2 CBOR protocol"), translated to and from AWS JSON 1.0
// documents.
//
//   POST /service/<ServiceShape>/operation/<Operation>
//   request:  smithy-protocol: rpc-v2-cbor, Content-Type: application/cbor, body a CBOR map
//             (or empty: an operation without input members)
//   response: smithy-protocol: rpc-v2-cbor, Content-Type: application/cbor, body a CBOR map;
//             errors are a map {"__type": <code>, "message": <text>} with the error's status.
//
// Mapping (RFC 8949 types -> JSON): maps with text keys -> objects (null members dropped, as
// Smithy reads null as absent), arrays -> arrays, text -> strings, byte strings -> base64
// strings (blob), integers and floats -> numbers (NaN and infinities -> "NaN", "Infinity",
// "-Infinity" as the JSON protocols spell them), tag 1 (epoch-seconds timestamp) -> its number,
// other tags -> their content. Back to CBOR, the ShapeTable marks timestamp members, written as
// tag 1 around an integer or a double; integral JSON numbers become CBOR integers, others
// doubles in their shortest exact width.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "api/aws/protocol/aws_error.h"
#include "api/aws/protocol/shapes.h"
#include "common/status.h"
#include "wire/cbor.h"

namespace opsight::api::aws {

// A CBOR request body -> JSON 1.0 request document ("{}" for an empty body). InvalidArgument
// ("SerializationException: ...") for malformed CBOR or a top-level item that is not a map.
Result<std::string> cbor_to_json(std::string_view body);

// A JSON 1.0 response document -> CBOR. InvalidArgument when `json` is not a JSON object.
Result<std::string> json_to_cbor(std::string_view json, const ShapeTable& shapes);

// The CBOR error body {"__type": code, "message": message}.
std::string cbor_error_body(const AwsError& error);

}  // namespace opsight::api::aws
