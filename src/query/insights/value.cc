#include "query/insights/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <limits>

namespace opsight::query::insights {

std::optional<double> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') b++;
  if (b == e) return std::nullopt;
  // from_chars accepts "inf"/"nan"; log text such as "nan" or "infinity" is not a number here.
  char c = *b == '-' && b + 1 < e ? b[1] : *b;
  if (!(c >= '0' && c <= '9') && c != '.') return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(b, e, v, std::chars_format::general);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

std::optional<double> as_number(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return std::nullopt;
    case Value::Kind::kBool:
      return v.b ? 1.0 : 0.0;
    case Value::Kind::kNumber:
      return v.num;
    case Value::Kind::kTime:
      return static_cast<double>(v.ms);
    case Value::Kind::kString:
      return parse_number(v.sv());
  }
  return std::nullopt;
}

std::optional<std::string> as_text(const Value& v) {
  if (v.kind == Value::Kind::kString) return std::string(v.sv());
  return display(v);
}

bool text_view(const Value& v, std::string* scratch, std::string_view* out) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return false;
    case Value::Kind::kString:
      *out = v.sv();
      return true;
    default:
      *scratch = *display(v);
      *out = *scratch;
      return true;
  }
}

std::optional<int64_t> as_time_ms(const Value& v) {
  if (v.kind == Value::Kind::kTime) return v.ms;
  auto n = as_number(v);
  if (!n || !std::isfinite(*n)) return std::nullopt;
  return static_cast<int64_t>(std::floor(*n));
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return false;
    case Value::Kind::kBool:
      return v.b;
    case Value::Kind::kNumber:
      return v.num != 0 && !std::isnan(v.num);
    case Value::Kind::kTime:
      return true;
    case Value::Kind::kString: {
      std::string_view s = v.sv();
      if (s == "true" || s == "TRUE" || s == "True") return true;
      auto n = parse_number(s);
      return n && *n != 0;
    }
  }
  return false;
}

namespace {

std::string format_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, ec == std::errc() ? p : buf);
}

}  // namespace

std::string format_timestamp(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int64_t frac = ms - secs * 1000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(frac));
  return buf;
}

std::optional<std::string> display(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return std::nullopt;
    case Value::Kind::kBool:
      return v.b ? "1" : "0";
    case Value::Kind::kNumber:
      return format_number(v.num);
    case Value::Kind::kTime:
      return format_timestamp(v.ms);
    case Value::Kind::kString:
      return std::string(v.sv());
  }
  return std::nullopt;
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return false;
  auto na = as_number(a);
  auto nb = as_number(b);
  if (na && nb) return *na == *nb;
  std::string sa, sb;
  std::string_view ta, tb;
  text_view(a, &sa, &ta);
  text_view(b, &sb, &tb);
  return ta == tb;
}

int compare_values(const Value& a, const Value& b) {
  auto na = as_number(a);
  auto nb = as_number(b);
  if (na && nb) return *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  std::string sa, sb;
  std::string_view ta, tb;
  text_view(a, &sa, &ta);
  text_view(b, &sb, &tb);
  int c = ta.compare(tb);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool same_key(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.b == b.b;
    case Value::Kind::kNumber:
      return a.num == b.num || (std::isnan(a.num) && std::isnan(b.num));
    case Value::Kind::kTime:
      return a.ms == b.ms;
    case Value::Kind::kString:
      return a.sv() == b.sv();
  }
  return false;
}

size_t key_hash(const Value& v) {
  // splitmix64's finalizer (Steele, Lea, Flood: "Fast splittable pseudorandom number
  // generators", OOPSLA 2014) spreads numbers and times over the buckets.
  auto mix = [](uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
  };
  const uint64_t kind = static_cast<uint64_t>(v.kind) << 56;
  switch (v.kind) {
    case Value::Kind::kNull:
      return mix(kind);
    case Value::Kind::kBool:
      return mix(kind | (v.b ? 1 : 0));
    case Value::Kind::kNumber: {
      double d =
          v.num == 0 ? 0.0 : (std::isnan(v.num) ? std::numeric_limits<double>::quiet_NaN() : v.num);
      uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof(bits));
      return mix(bits ^ kind);
    }
    case Value::Kind::kTime:
      return mix(static_cast<uint64_t>(v.ms) ^ kind);
    case Value::Kind::kString:
      return std::hash<std::string_view>()(v.sv()) ^ mix(kind);
  }
  return 0;
}

}  // namespace opsight::query::insights
