#pragma once
// The OTLP types shared by metrics, logs and traces (opentelemetry-proto common/v1/common.proto
// and resource/v1/resource.proto): AnyValue, KeyValue, InstrumentationScope, Resource, with
// their protobuf decoders and the attribute-to-string rule of the OpenTelemetry specification
// (specification/common/README.md "Attribute"; used when an attribute becomes a label).
//
// Field numbers (verified against opentelemetry-proto):
//   AnyValue{string_value=1, bool_value=2, int_value=3 (int64), double_value=4,
//            array_value=5 (ArrayValue{repeated AnyValue values=1}),
//            kvlist_value=6 (KeyValueList{repeated KeyValue values=1}), bytes_value=7}
//   KeyValue{string key=1; AnyValue value=2}
//   InstrumentationScope{name=1, version=2, repeated KeyValue attributes=3,
//                        uint32 dropped_attributes_count=4}
//   Resource{repeated KeyValue attributes=1; uint32 dropped_attributes_count=2}
//
// Decoders never read outside their input; malformed input is an InvalidArgument Status whose
// message says what was wrong, never a crash. AnyValue nesting is bounded by kMaxAnyValueDepth
// so a hostile payload cannot exhaust the stack.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/hex.h"
#include "common/status.h"

namespace opsight::ingest::otlp {

struct KeyValue;

struct AnyValue {
  enum class Type { kEmpty, kString, kBool, kInt, kDouble, kArray, kKvList, kBytes };
  Type type = Type::kEmpty;
  std::string str;  // kString (UTF-8) or kBytes (raw bytes)
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::vector<AnyValue> array;   // kArray
  std::vector<KeyValue> kvlist;  // kKvList
};

struct KeyValue {
  std::string key;
  AnyValue value;
};

inline AnyValue string_value(std::string s) {
  AnyValue v;
  v.type = AnyValue::Type::kString;
  v.str = std::move(s);
  return v;
}
inline AnyValue int_value(int64_t x) {
  AnyValue v;
  v.type = AnyValue::Type::kInt;
  v.i = x;
  return v;
}

struct Resource {
  std::vector<KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
};

struct InstrumentationScope {
  std::string name;
  std::string version;
  std::vector<KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
};

// Maximum nesting of array/kvlist values inside one AnyValue.
inline constexpr int kMaxAnyValueDepth = 32;

// Bounds the memory of one decoded request. A tiny encoded element (an empty data point or
// AnyValue is 2 bytes of protobuf) takes ~100 bytes decoded, so without a bound a 64 MiB body
// could take gigabytes. Every decoded data point, KeyValue and AnyValue takes one unit; a
// decoder that runs out fails the whole request (InvalidArgument, "split the request").
inline constexpr uint64_t kMaxDecodedElements = 2'000'000;
struct DecodeBudget {
  uint64_t left = kMaxDecodedElements;
  // False once the budget is spent.
  bool take() {
    if (left == 0) return false;
    left--;
    return true;
  }
};
// The InvalidArgument returned when a DecodeBudget runs out.
Status budget_exhausted_error();

// Protobuf decoders: `data` is the encoded message body (without its tag and length).
// `budget` may be null (no bound).
Status decode_any_value_pb(std::string_view data, AnyValue* out, DecodeBudget* budget = nullptr,
                           int depth = 0);
Status decode_key_value_pb(std::string_view data, KeyValue* out, DecodeBudget* budget = nullptr,
                           int depth = 0);
Status decode_resource_pb(std::string_view data, Resource* out, DecodeBudget* budget = nullptr);
Status decode_scope_pb(std::string_view data, InstrumentationScope* out,
                       DecodeBudget* budget = nullptr);

// The string form of an attribute value (OpenTelemetry attribute spec, as used by the
// Prometheus compatibility spec): strings as they are, booleans "true"/"false", integers in
// decimal, doubles in shortest round-trip form ("NaN", "Inf", "-Inf" for non-finite values),
// bytes in base64, arrays and key-value lists as JSON; an empty value as "".
std::string any_value_to_string(const AnyValue& v);

// The value of the first attribute named `key`, or nullptr.
const AnyValue* find_attribute(const std::vector<KeyValue>& attrs, std::string_view key);

// RFC 4648 base64 (standard alphabet, padded). Decoding accepts missing padding and the
// URL-safe alphabet; returns false on any other character.
std::string base64_encode(std::string_view bytes);
bool base64_decode(std::string_view text, std::string* out);
// Hex ids (common/hex.h).
using opsight::hex_decode;
using opsight::hex_encode;

// Export<Signal>ServiceResponse{Export<Signal>PartialSuccess partial_success = 1
//   {int64 rejected_<items> = 1; string error_message = 2;}}, the same shape for metrics, logs
// and traces: empty (a full success) when nothing was rejected and there is no message.
std::string encode_partial_success_pb(uint64_t rejected, std::string_view error_message);
// Its OTLP/JSON form: "{}" or {"partialSuccess": {"<rejected_key>": "<n>" (int64 as a string),
// "errorMessage": "..."}}.
std::string encode_partial_success_json(std::string_view rejected_key, uint64_t rejected,
                                        std::string_view error_message);

}  // namespace opsight::ingest::otlp
