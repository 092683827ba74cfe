// Value column codecs of the block series encoding; see chunk_values.h and
// docs/format/tsdb-chunks.md for the byte layout.
//
// Decimal detection: a value v is "m at scale k" when m is an integer with |m| < 2^53 and
// m / 10^k (division mode) or m * fl(10^-k) (multiplication mode), computed in IEEE-754
// double, gives back the exact bits of v. Division mode is what parsing a decimal string or
// dividing an integer reading by a power of ten produces (node_exporter's USER_HZ ticks / 100,
// Go's Duration.Seconds() for durations under one second); multiplication mode what
// multiplying by 0.001 produces (node_exporter's disk milliseconds). Values that are not (NaN
// staleness markers, -0.0, infinities, a stray full-precision value) are stored as exceptions
// when they are few; the mantissa stream carries the prediction (residual 0) at their place.
#include "storage/tsdb/chunk_values.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "common/coding.h"
#include "storage/tsdb/chunk_xor.h"

namespace opsight::storage::tsdb::internal {
namespace {

constexpr double kPow10[kMaxFormatScale + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                1e14, 1e15, 1e16, 1e17, 1e18};
constexpr double kNegPow10[kMaxFormatScale + 1] = {1e0,   1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,
                                                   1e-7,  1e-8,  1e-9,  1e-10, 1e-11, 1e-12, 1e-13,
                                                   1e-14, 1e-15, 1e-16, 1e-17, 1e-18};
constexpr double kTwo53 = 9007199254740992.0;
constexpr uint8_t kScaleMulFlag = 0x20;
constexpr uint8_t kScaleGcdFlag = 0x40;
constexpr uint8_t kScaleMask = 0x1f;

// The value of mantissa m at a scale byte; the scale byte is validated by the caller.
inline double decimal_value(int64_t m, int k, bool mul) {
  auto d = static_cast<double>(m);
  return mul ? d * kNegPow10[k] : d / kPow10[k];
}

bool to_decimal(uint64_t bits, int k, bool mul, int64_t* m) {
  double v = std::bit_cast<double>(bits);
  double x = v * kPow10[k];
  if (!(std::fabs(x) < kTwo53)) return false;  // also rejects NaN and infinities
  auto r = static_cast<int64_t>(std::nearbyint(x));
  // v * 10^k is rounded; near 2^53 the nearest integer can be one off the true mantissa.
  for (int64_t c : {r, r - 1, r + 1}) {
    if (c <= -static_cast<int64_t>(kTwo53) || c >= static_cast<int64_t>(kTwo53)) continue;
    if (std::bit_cast<uint64_t>(decimal_value(c, k, mul)) == bits) {
      *m = c;
      return true;
    }
  }
  return false;
}

struct Decimal {
  uint8_t scale = 0;                 // k | kScaleMulFlag
  std::vector<int64_t> mantissas;    // valid where !exception
  std::vector<uint32_t> exceptions;  // ascending indexes
};

// Mantissas of every value at one scale; exceptions where a value is not representable.
void decimal_at_scale(std::span<const uint64_t> bits, int k, bool mul, Decimal* d) {
  d->scale = static_cast<uint8_t>(k | (mul ? kScaleMulFlag : 0));
  d->mantissas.assign(bits.size(), 0);
  d->exceptions.clear();
  for (size_t i = 0; i < bits.size(); ++i) {
    if (!to_decimal(bits[i], k, mul, &d->mantissas[i])) {
      d->exceptions.push_back(static_cast<uint32_t>(i));
    }
  }
}

// Picks the scale with the fewest exceptions: division mode at the largest per-value minimal
// scale (representability in division mode is monotone in k while |m| < 2^53), then, only if
// that leaves exceptions among finite values, multiplication mode at each k.
void analyse_decimal(std::span<const uint64_t> bits, Decimal* best) {
  int k_max = 0;
  for (uint64_t b : bits) {
    int64_t m;
    for (int k = 0; k <= kMaxScale; ++k) {
      if (to_decimal(b, k, false, &m)) {
        k_max = std::max(k_max, k);
        break;
      }
    }
  }
  decimal_at_scale(bits, k_max, false, best);
  auto finite = std::find_if(best->exceptions.begin(), best->exceptions.end(), [&](uint32_t i) {
    return std::isfinite(std::bit_cast<double>(bits[i]));
  });
  if (finite == best->exceptions.end()) return;
  const uint32_t probe = *finite;
  Decimal cand;
  for (int k = 1; k <= kMaxScale; ++k) {
    int64_t m;
    // Full-precision floats fail at once: a whole pass only where this value succeeds.
    if (!to_decimal(bits[probe], k, true, &m)) continue;
    decimal_at_scale(bits, k, true, &cand);
    if (cand.exceptions.size() < best->exceptions.size()) std::swap(*best, cand);
    if (best->exceptions.empty()) return;
  }
}

inline int cost_bits(uint64_t zz) {
  return 1 + std::bit_width(zz);
}

// The residual stream of a decimal codec, mirroring the decoder's state machine: the decoder
// adds residual r * gcd to its prediction (the first mantissa is stored as is); at an
// exception the residual is 0. Residuals are zigzag-encoded in `zz`.
struct Residuals {
  std::vector<uint64_t> zz;
  uint64_t gcd = 1;  // common factor of every residual after the first
  int64_t cost = 0;  // estimated bits
};

void residuals(const Decimal& d, bool dod, Residuals* out) {
  const size_t n = d.mantissas.size();
  std::vector<uint64_t>& zz = out->zz;
  zz.resize(n);
  uint64_t m = 0, delta = 0, g = 0;
  size_t e = 0;
  for (size_t i = 0; i < n; ++i) {
    bool exc = e < d.exceptions.size() && d.exceptions[e] == i;
    if (exc) ++e;
    uint64_t pred = dod ? m + delta : m;
    uint64_t actual = exc ? pred : static_cast<uint64_t>(d.mantissas[i]);
    uint64_t r = i == 0 ? actual : actual - pred;
    zz[i] = r;  // raw two's complement for now
    if (i > 0) {
      delta = actual - m;
      auto sr = static_cast<int64_t>(r);
      uint64_t mag = sr < 0 ? uint64_t{0} - r : r;
      g = std::gcd(g, mag);
    }
    m = actual;
  }
  out->gcd = g > 1 ? g : 1;
  out->cost = 0;
  for (size_t i = 0; i < n; ++i) {
    auto sr = static_cast<int64_t>(zz[i]);
    if (i > 0 && out->gcd > 1) sr /= static_cast<int64_t>(out->gcd);  // exact
    zz[i] = zigzag_encode(sr);
    out->cost += cost_bits(zz[i]);
  }
  if (out->gcd > 1) out->cost += 64;
}

void write_decimal(ValueCodec codec, const Decimal& d, const Residuals& res,
                   std::span<const uint64_t> bits, std::string* out) {
  out->push_back(static_cast<char>(codec));
  out->push_back(static_cast<char>(d.scale | (res.gcd > 1 ? kScaleGcdFlag : 0)));
  if (res.gcd > 1) put_varint64(*out, res.gcd);
  put_varint64(*out, d.exceptions.size());
  uint32_t next = 0;
  for (uint32_t i : d.exceptions) {
    put_varint64(*out, i - next);
    put_fixed64(*out, bits[i]);
    next = i + 1;
  }
  for (uint64_t z : res.zz) put_varint64(*out, z);
}

std::string gorilla_payload(std::span<const uint64_t> bits) {
  BitWriter w;
  w.reserve(bits.size() * 2 + 8);
  XorState s;
  w.write_bits(bits[0], 64);
  s.prev = bits[0];
  for (size_t i = 1; i < bits.size(); ++i) xor_write(w, s, bits[i]);
  return std::string(w.data());
}

void write_gorilla(const std::string& payload, std::string* out) {
  out->push_back(static_cast<char>(ValueCodec::kGorilla));
  put_length_prefixed(*out, payload);
}

bool all_equal(std::span<const uint64_t> bits) {
  return std::all_of(bits.begin(), bits.end(), [&](uint64_t b) { return b == bits[0]; });
}

void write_const(uint64_t bits, std::string* out) {
  out->push_back(static_cast<char>(ValueCodec::kConst));
  put_fixed64(*out, bits);
}

}  // namespace

void encode_value_column(std::span<const uint64_t> bits, std::string* out, bool allow_decimal) {
  if (bits.empty()) return;
  if (all_equal(bits)) {
    write_const(bits[0], out);
    return;
  }
  std::string gorilla = gorilla_payload(bits);
  int64_t best_cost = static_cast<int64_t>(gorilla.size()) * 8;
  if (!allow_decimal) {
    write_gorilla(gorilla, out);
    return;
  }
  Decimal d;
  analyse_decimal(bits, &d);
  // An exception costs its 8 raw bytes and its index.
  const int64_t exc_cost = static_cast<int64_t>(d.exceptions.size()) * 72;
  if (exc_cost >= best_cost) {
    write_gorilla(gorilla, out);
    return;
  }
  Residuals zz_delta, zz_dod;
  residuals(d, false, &zz_delta);
  residuals(d, true, &zz_dod);
  int64_t c_delta = zz_delta.cost + exc_cost;
  int64_t c_dod = zz_dod.cost + exc_cost;
  if (std::min(c_delta, c_dod) >= best_cost) {
    write_gorilla(gorilla, out);
  } else if (c_dod < c_delta) {
    write_decimal(ValueCodec::kDecimalDod, d, zz_dod, bits, out);
  } else {
    write_decimal(ValueCodec::kDecimalDelta, d, zz_delta, bits, out);
  }
}

void encode_value_column_as(ValueCodec codec, std::span<const uint64_t> bits, std::string* out) {
  if (bits.empty()) return;
  if (codec == ValueCodec::kConst && all_equal(bits)) {
    write_const(bits[0], out);
    return;
  }
  if (codec == ValueCodec::kDecimalDelta || codec == ValueCodec::kDecimalDod) {
    Decimal d;
    analyse_decimal(bits, &d);
    if (d.exceptions.size() < bits.size()) {
      Residuals zz;
      residuals(d, codec == ValueCodec::kDecimalDod, &zz);
      write_decimal(codec, d, zz, bits, out);
      return;
    }
  }
  write_gorilla(gorilla_payload(bits), out);
}

namespace {

// Decodes the first want = bits.size() values of a column of n >= want values. Returns the
// position after the column when want == n, else a non-null position inside it; nullptr when
// the bytes read are truncated or malformed.
const char* decode_column(const char* p, const char* end, size_t n, std::span<uint64_t> bits) {
  const size_t want = bits.size();
  if (n == 0) return p;
  if (p >= end) return nullptr;
  const auto codec = static_cast<ValueCodec>(static_cast<uint8_t>(*p++));
  switch (codec) {
    case ValueCodec::kConst: {
      if (end - p < 8) return nullptr;
      uint64_t b = decode_fixed64(p);
      std::fill(bits.begin(), bits.end(), b);
      return p + 8;
    }
    case ValueCodec::kDecimalDelta:
    case ValueCodec::kDecimalDod: {
      if (p >= end) return nullptr;
      const auto scale = static_cast<uint8_t>(*p++);
      const int k = scale & kScaleMask;
      const bool mul = (scale & kScaleMulFlag) != 0;
      if ((scale & 0x80) != 0 || k > kMaxFormatScale) return nullptr;
      uint64_t gcd = 1;
      if ((scale & kScaleGcdFlag) != 0) {
        if ((p = get_varint64(p, end, &gcd)) == nullptr || gcd < 2) return nullptr;
      }
      uint64_t num_exc;
      if ((p = get_varint64(p, end, &num_exc)) == nullptr || num_exc > n) return nullptr;
      // Exceptions are applied after the mantissas; remember where they are.
      const char* exc_begin = p;
      uint64_t idx = 0;
      for (uint64_t e = 0; e < num_exc; ++e) {
        uint64_t gap;
        if ((p = get_varint64(p, end, &gap)) == nullptr || gap >= n - idx || end - p < 8) {
          return nullptr;
        }
        idx += gap + 1;
        p += 8;
      }
      const bool dod = codec == ValueCodec::kDecimalDod;
      uint64_t m = 0, delta = 0;
      for (size_t i = 0; i < want; ++i) {
        uint64_t zz;
        if ((p = get_varint64(p, end, &zz)) == nullptr) return nullptr;
        uint64_t r = static_cast<uint64_t>(zigzag_decode(zz));
        if (i > 0) r *= gcd;  // wraps like the encoder's exact division
        if (i == 0) {
          m = r;
        } else if (dod) {
          delta += r;
          m += delta;
        } else {
          m += r;
        }
        bits[i] = std::bit_cast<uint64_t>(decimal_value(static_cast<int64_t>(m), k, mul));
      }
      const char* q = exc_begin;
      idx = 0;
      for (uint64_t e = 0; e < num_exc; ++e) {
        uint64_t gap;
        q = get_varint64(q, end, &gap);
        idx += gap;
        if (idx >= want) break;  // ascending: the rest lie past the prefix
        bits[idx] = decode_fixed64(q);
        q += 8;
        ++idx;
      }
      return p;
    }
    case ValueCodec::kGorilla: {
      std::string_view payload;
      if ((p = get_length_prefixed(p, end, &payload)) == nullptr) return nullptr;
      BitReader r(payload);
      XorState s;
      if (!r.read_bits(64, &s.prev)) return nullptr;
      if (want > 0) bits[0] = s.prev;
      for (size_t i = 1; i < want; ++i) {
        if (!xor_read(r, s, &bits[i])) return nullptr;
      }
      // Only the zero padding of the last byte may remain.
      if (want == n && r.bits_left() >= 8) return nullptr;
      return p;
    }
  }
  return nullptr;
}

}  // namespace

const char* decode_value_column(const char* p, const char* end, std::span<uint64_t> bits) {
  return decode_column(p, end, bits.size(), bits);
}

bool decode_value_column_prefix(const char* p, const char* end, size_t n,
                                std::span<uint64_t> bits) {
  return bits.size() <= n && decode_column(p, end, n, bits) != nullptr;
}

}  // namespace opsight::storage::tsdb::internal
