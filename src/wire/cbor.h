#pragma once
// CBOR, the Concise Binary Object Representation (RFC 8949), decoded into a small item tree and
// encoded from one, for the Smithy RPC v2 CBOR protocol (smithy.io "RPC v2 CBOR protocol").
//
// Decoding is for untrusted input:
// - every major type (unsigned/negative integers, byte and text strings, arrays, maps, tags,
//   simple values and floats) with definite and indefinite lengths (RFC 8949 §3.2); an
//   indefinite string is concatenated from definite chunks of its own major type;
// - half, single and double precision floats (§3.3, half per Appendix D);
// - limits: nesting depth (arrays, maps and tags), total item count, and every declared length
//   is checked against the remaining input before anything is allocated, so a short input can
//   never make the decoder allocate more than a small multiple of its size;
// - malformed input (truncated, reserved additional info 28..30, a break outside an indefinite
//   item, a chunk of the wrong type, invalid UTF-8 in a text string, trailing bytes, a simple
//   value encoded in two bytes below 32) is InvalidArgument naming the byte offset and the rule.
// Tags are kept as items of type kTag with one child (e.g. tag 1, epoch time, §3.4.2).
//
// Encoding writes preferred serialization (§4.1): the shortest argument, definite lengths, and
// floats in the shortest of half/single/double that represents the value exactly.
//
// Thread safety: pure functions and value types.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace opsight::wire::cbor {

enum class Type : uint8_t {
  kUnsigned,  // u
  kNegative,  // -1 - u
  kBytes,     // str
  kText,      // str (valid UTF-8)
  kArray,     // items
  kMap,       // items: key, value, key, value, ...
  kTag,       // u = tag number, items[0] = the tagged item
  kFalse,
  kTrue,
  kNull,
  kUndefined,
  kSimple,  // u = other simple value (0..19, 32..255)
  kFloat,   // f
};

struct Item {
  Type type = Type::kNull;
  uint64_t u = 0;
  double f = 0;
  std::string str;
  std::vector<Item> items;

  static Item unsigned_int(uint64_t v) { return Item{Type::kUnsigned, v, 0, {}, {}}; }
  static Item integer(int64_t v);
  static Item floating(double v) { return Item{Type::kFloat, 0, v, {}, {}}; }
  static Item text(std::string s) { return Item{Type::kText, 0, 0, std::move(s), {}}; }
  static Item bytes(std::string s) { return Item{Type::kBytes, 0, 0, std::move(s), {}}; }
  static Item boolean(bool b) { return Item{b ? Type::kTrue : Type::kFalse, 0, 0, {}, {}}; }
  static Item null() { return Item{}; }
  static Item array() { return Item{Type::kArray, 0, 0, {}, {}}; }
  static Item map() { return Item{Type::kMap, 0, 0, {}, {}}; }
  static Item tagged(uint64_t tag, Item content);

  bool is_integer() const { return type == Type::kUnsigned || type == Type::kNegative; }
  bool is_number() const { return is_integer() || type == Type::kFloat; }
  // The numeric value of an integer or float (integers beyond 2^53 lose precision).
  double as_double() const;
  // Map lookup by text key; nullptr when absent or not a map.
  const Item* find(std::string_view key) const;
  // Appends a key/value pair to a map.
  void put(std::string key, Item value);
};

struct DecodeLimits {
  size_t max_depth = 64;
  size_t max_items = 1'000'000;
};

// Decodes exactly one data item spanning all of `in`.
Result<Item> decode(std::string_view in, const DecodeLimits& limits = {});

// Preferred serialization of `item` (appended to `out`).
void encode(const Item& item, std::string* out);
std::string encode(const Item& item);

}  // namespace opsight::wire::cbor
