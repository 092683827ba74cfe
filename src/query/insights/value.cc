#include "query/insights/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

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
      return parse_number(v.str);
  }
  return std::nullopt;
}

std::optional<std::string> as_text(const Value& v) {
  if (v.kind == Value::Kind::kString) return v.str;
  return display(v);
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
      if (v.str == "true" || v.str == "TRUE" || v.str == "True") return true;
      auto n = parse_number(v.str);
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
      return v.str;
  }
  return std::nullopt;
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return false;
  auto na = as_number(a);
  auto nb = as_number(b);
  if (na && nb) return *na == *nb;
  return *as_text(a) == *as_text(b);
}

int compare_values(const Value& a, const Value& b) {
  auto na = as_number(a);
  auto nb = as_number(b);
  if (na && nb) return *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  std::string ta = as_text(a).value_or("");
  std::string tb = as_text(b).value_or("");
  int c = ta.compare(tb);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace opsight::query::insights
