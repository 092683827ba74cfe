// CBOR (RFC 8949) decoder and encoder; see cbor.h for the contract.
#include "wire/cbor.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace opsight::wire::cbor {

Item Item::integer(int64_t v) {
  if (v >= 0) return unsigned_int(static_cast<uint64_t>(v));
  // -1 - u = v  =>  u = -(v + 1), computed without overflow for INT64_MIN.
  return Item{Type::kNegative, static_cast<uint64_t>(-(v + 1)), 0, {}, {}};
}

Item Item::tagged(uint64_t tag, Item content) {
  Item t{Type::kTag, tag, 0, {}, {}};
  t.items.push_back(std::move(content));
  return t;
}

double Item::as_double() const {
  switch (type) {
    case Type::kUnsigned:
      return static_cast<double>(u);
    case Type::kNegative:
      return -1.0 - static_cast<double>(u);
    case Type::kFloat:
      return f;
    default:
      return 0;
  }
}

const Item* Item::find(std::string_view key) const {
  if (type != Type::kMap) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].type == Type::kText && items[i].str == key) return &items[i + 1];
  }
  return nullptr;
}

void Item::put(std::string key, Item value) {
  items.push_back(text(std::move(key)));
  items.push_back(std::move(value));
}

namespace {

// RFC 8949 Appendix D.
double decode_half(uint16_t half) {
  int exp = (half >> 10) & 0x1f;
  int mant = half & 0x3ff;
  double val;
  if (exp == 0) {
    val = std::ldexp(mant, -24);
  } else if (exp != 31) {
    val = std::ldexp(mant + 1024, exp - 25);
  } else {
    val = mant == 0 ? std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::quiet_NaN();
  }
  return (half & 0x8000) ? -val : val;
}

// Validates UTF-8 (RFC 3629): no overlong forms, no surrogates, at most U+10FFFF.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // the continuation bytes must all be present
    for (size_t k = 1; k <= n; k++) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

class Decoder {
 public:
  Decoder(std::string_view in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  Result<Item> top() {
    Item item;
    RETURN_IF_ERROR(read(&item, 0));
    if (pos_ != in_.size()) return error(pos_, "trailing bytes after the data item");
    return item;
  }

 private:
  Status error(size_t at, std::string_view rule) const {
    return Status::invalid_argument(fmt::format("CBOR at byte {}: {}", at, rule));
  }
  size_t remaining() const { return in_.size() - pos_; }

  // Reads the initial byte and its argument; `*indefinite` for additional information 31.
  Status head(int* major, int* info, uint64_t* arg, bool* indefinite) {
    if (remaining() < 1) return error(pos_, "unexpected end of input");
    auto b = static_cast<uint8_t>(in_[pos_++]);
    *major = b >> 5;
    *info = b & 0x1f;
    *indefinite = *info == 31;
    if (*info < 24) {
      *arg = static_cast<uint64_t>(*info);
      return OkStatus();
    }
    if (*info == 31) {
      *arg = 0;
      return OkStatus();
    }
    if (*info > 27) return error(pos_ - 1, "reserved additional information 28..30");
    size_t n = size_t{1} << (*info - 24);
    if (remaining() < n) return error(pos_, "unexpected end of input in an argument");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | static_cast<uint8_t>(in_[pos_++]);
    *arg = v;
    return OkStatus();
  }

  Status count_item(size_t at) {
    if (++items_ > limits_.max_items) {
      return error(at, fmt::format("more than {} data items", limits_.max_items));
    }
    return OkStatus();
  }

  Status read_string(uint64_t len, size_t at, std::string* out) {
    if (len > remaining()) return error(at, "string length beyond the end of input");
    out->append(in_.data() + pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return OkStatus();
  }

  bool at_break() const { return pos_ < in_.size() && static_cast<uint8_t>(in_[pos_]) == 0xff; }

  Status read(Item* out, size_t depth) {
    size_t at = pos_;
    RETURN_IF_ERROR(count_item(at));
    int major, info;
    uint64_t arg;
    bool indefinite;
    RETURN_IF_ERROR(head(&major, &info, &arg, &indefinite));
    if (indefinite && (major == 0 || major == 1 || major == 6)) {
      return error(at, "indefinite length is not allowed for integers and tags");
    }
    switch (major) {
      case 0:
        *out = Item::unsigned_int(arg);
        return OkStatus();
      case 1:
        *out = Item{Type::kNegative, arg, 0, {}, {}};
        return OkStatus();
      case 2:
      case 3: {
        out->type = major == 2 ? Type::kBytes : Type::kText;
        if (!indefinite) {
          RETURN_IF_ERROR(read_string(arg, at, &out->str));
        } else {
          while (true) {
            if (remaining() < 1) return error(pos_, "unterminated indefinite-length string");
            if (at_break()) {
              pos_++;
              break;
            }
            size_t chunk_at = pos_;
            int cm, ci;
            uint64_t clen;
            bool cindef;
            RETURN_IF_ERROR(head(&cm, &ci, &clen, &cindef));
            if (cm != major || cindef) {
              return error(chunk_at,
                           "a chunk of an indefinite-length string must be a "
                           "definite-length string of the same major type");
            }
            RETURN_IF_ERROR(count_item(chunk_at));
            RETURN_IF_ERROR(read_string(clen, chunk_at, &out->str));
          }
        }
        if (major == 3 && !valid_utf8(out->str)) return error(at, "text string is not UTF-8");
        return OkStatus();
      }
      case 4:
      case 5: {
        if (depth + 1 > limits_.max_depth) {
          return error(at, fmt::format("nesting deeper than {}", limits_.max_depth));
        }
        out->type = major == 4 ? Type::kArray : Type::kMap;
        size_t per = major == 4 ? 1 : 2;
        if (!indefinite) {
          // Each item takes at least one byte: refuse counts the input cannot hold.
          if (arg > remaining() / per) return error(at, "item count beyond the end of input");
          out->items.reserve(static_cast<size_t>(arg * per));
          for (uint64_t i = 0; i < arg * per; i++) {
            out->items.emplace_back();
            RETURN_IF_ERROR(read(&out->items.back(), depth + 1));
          }
        } else {
          while (true) {
            if (remaining() < 1) return error(pos_, "unterminated indefinite-length container");
            if (at_break()) {
              pos_++;
              break;
            }
            for (size_t k = 0; k < per; k++) {
              if (k == 1 && at_break()) return error(pos_, "map key without a value");
              out->items.emplace_back();
              RETURN_IF_ERROR(read(&out->items.back(), depth + 1));
            }
          }
        }
        return OkStatus();
      }
      case 6: {
        if (depth + 1 > limits_.max_depth) {
          return error(at, fmt::format("nesting deeper than {}", limits_.max_depth));
        }
        out->type = Type::kTag;
        out->u = arg;
        out->items.emplace_back();
        return read(&out->items.back(), depth + 1);
      }
      default:  // 7: simple values and floats
        break;
    }
    if (info == 31) return error(at, "break outside an indefinite-length item");
    if (info == 25) {
      *out = Item::floating(decode_half(static_cast<uint16_t>(arg)));
    } else if (info == 26) {
      *out = Item::floating(std::bit_cast<float>(static_cast<uint32_t>(arg)));
    } else if (info == 27) {
      *out = Item::floating(std::bit_cast<double>(arg));
    } else if (info == 24 && arg < 32) {
      return error(at, "simple value below 32 in two bytes");
    } else if (arg == 20) {
      out->type = Type::kFalse;
    } else if (arg == 21) {
      out->type = Type::kTrue;
    } else if (arg == 22) {
      out->type = Type::kNull;
    } else if (arg == 23) {
      out->type = Type::kUndefined;
    } else {
      out->type = Type::kSimple;
      out->u = arg;
    }
    return OkStatus();
  }

  std::string_view in_;
  DecodeLimits limits_;
  size_t pos_ = 0;
  size_t items_ = 0;
};

void put_head(int major, uint64_t arg, std::string* out) {
  auto m = static_cast<uint8_t>(major << 5);
  auto put_be = [out](uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  if (arg < 24) {
    out->push_back(static_cast<char>(m | arg));
  } else if (arg <= 0xff) {
    out->push_back(static_cast<char>(m | 24));
    put_be(arg, 1);
  } else if (arg <= 0xffff) {
    out->push_back(static_cast<char>(m | 25));
    put_be(arg, 2);
  } else if (arg <= 0xffffffffULL) {
    out->push_back(static_cast<char>(m | 26));
    put_be(arg, 4);
  } else {
    out->push_back(static_cast<char>(m | 27));
    put_be(arg, 8);
  }
}

// The half-precision bits of `f` when that represents it exactly.
bool to_half(float f, uint16_t* out) {
  uint32_t bits = std::bit_cast<uint32_t>(f);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  int exp = static_cast<int>((bits >> 23) & 0xff);
  uint32_t mant = bits & 0x7fffff;
  if (exp == 0xff) {  // Inf / NaN (NaN: the canonical quiet NaN)
    *out = static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
    return true;
  }
  if (exp == 0 && mant == 0) {
    *out = sign;
    return true;
  }
  int e = exp - 127;  // unbiased
  if (e >= -14 && e <= 15) {
    if (mant & 0x1fff) return false;
    *out = static_cast<uint16_t>(sign | ((e + 15) << 10) | (mant >> 13));
    return true;
  }
  if (e >= -24 && e < -14) {          // subnormal half: value = m * 2^-24
    uint32_t full = mant | 0x800000;  // 24-bit significand, value = full * 2^(e-23)
    int shift = -14 - e + 13;         // to the 10-bit subnormal mantissa
    if (full & ((1u << shift) - 1)) return false;
    *out = static_cast<uint16_t>(sign | (full >> shift));
    return true;
  }
  return false;
}

void put_float(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("\xf9\x7e\x00", 3);
    return;
  }
  auto f = static_cast<float>(d);
  if (static_cast<double>(f) == d) {
    uint16_t h;
    if (to_half(f, &h)) {
      out->push_back(static_cast<char>(0xf9));
      out->push_back(static_cast<char>(h >> 8));
      out->push_back(static_cast<char>(h & 0xff));
      return;
    }
    out->push_back(static_cast<char>(0xfa));
    uint32_t b = std::bit_cast<uint32_t>(f);
    for (int i = 3; i >= 0; i--) out->push_back(static_cast<char>((b >> (8 * i)) & 0xff));
    return;
  }
  out->push_back(static_cast<char>(0xfb));
  uint64_t b = std::bit_cast<uint64_t>(d);
  for (int i = 7; i >= 0; i--) out->push_back(static_cast<char>((b >> (8 * i)) & 0xff));
}

}  // namespace

Result<Item> decode(std::string_view in, const DecodeLimits& limits) {
  return Decoder(in, limits).top();
}

void encode(const Item& item, std::string* out) {
  switch (item.type) {
    case Type::kUnsigned:
      put_head(0, item.u, out);
      return;
    case Type::kNegative:
      put_head(1, item.u, out);
      return;
    case Type::kBytes:
    case Type::kText:
      put_head(item.type == Type::kBytes ? 2 : 3, item.str.size(), out);
      out->append(item.str);
      return;
    case Type::kArray:
      put_head(4, item.items.size(), out);
      for (const auto& i : item.items) encode(i, out);
      return;
    case Type::kMap:
      put_head(5, item.items.size() / 2, out);
      for (size_t i = 0; i + 1 < item.items.size(); i += 2) {
        encode(item.items[i], out);
        encode(item.items[i + 1], out);
      }
      return;
    case Type::kTag:
      put_head(6, item.u, out);
      if (!item.items.empty()) {
        encode(item.items[0], out);
      } else {
        out->push_back(static_cast<char>(0xf6));  // null: a tag needs content
      }
      return;
    case Type::kFalse:
      out->push_back(static_cast<char>(0xf4));
      return;
    case Type::kTrue:
      out->push_back(static_cast<char>(0xf5));
      return;
    case Type::kNull:
      out->push_back(static_cast<char>(0xf6));
      return;
    case Type::kUndefined:
      out->push_back(static_cast<char>(0xf7));
      return;
    case Type::kSimple:
      if (item.u < 24) {
        out->push_back(static_cast<char>(0xe0 | item.u));
      } else {
        out->push_back(static_cast<char>(0xf8));
        out->push_back(static_cast<char>(item.u & 0xff));
      }
      return;
    case Type::kFloat:
      put_float(item.f, out);
      return;
  }
}

std::string encode(const Item& item) {
  std::string out;
  encode(item, &out);
  return out;
}

}  // namespace opsight::wire::cbor
