#pragma once
// A time given in a JSON request body, shared by the native trace search and the AWS front ends
// (whose REST-JSON timestamps are epoch seconds as JSON numbers, the Smithy default
// "epoch-seconds" format; a client may also send a string).
//
// Thread safety: a pure function.

#include <simdjson.h>

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace opsight::api {

// `e` as Unix milliseconds: a JSON number of Unix seconds (fractions kept to the ms), or a
// string as time_param (api_util.h) takes it (RFC 3339, Unix seconds, ms for 13+ digits, "now",
// "now-1h"). InvalidArgument naming `field` for anything else or a number beyond year 5138.
Result<int64_t> json_time_ms(simdjson::dom::element e, std::string_view field, int64_t now_ms);

}  // namespace opsight::api
