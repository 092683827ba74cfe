#include "common/time_util.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace opsight {

Result<int64_t> parse_duration_ms(std::string_view s) {
  if (s.empty()) return Status::invalid_argument("empty duration");
  // Bare number: seconds (may have a fraction).
  double secs;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec == std::errc() && p == s.data() + s.size()) {
    if (!std::isfinite(secs) || secs < 0) {
      return Status::invalid_argument("invalid duration \"" + std::string(s) + "\"");
    }
    return static_cast<int64_t>(std::llround(secs * 1000));
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') j++;
    if (j == i) return Status::invalid_argument("invalid duration \"" + std::string(s) + "\"");
    int64_t n = 0;
    std::from_chars(s.data() + i, s.data() + j, n);
    size_t k = j;
    while (k < s.size() && !(s[k] >= '0' && s[k] <= '9')) k++;
    std::string_view unit = s.substr(j, k - j);
    int64_t mult;
    if (unit == "ms")
      mult = 1;
    else if (unit == "s")
      mult = 1000;
    else if (unit == "m")
      mult = 60'000;
    else if (unit == "h")
      mult = 3'600'000;
    else if (unit == "d")
      mult = 86'400'000;
    else if (unit == "w")
      mult = 7 * 86'400'000LL;
    else if (unit == "y")
      mult = 365 * 86'400'000LL;
    else {
      return Status::invalid_argument("invalid duration \"" + std::string(s) +
                                      "\": unknown unit \"" + std::string(unit) +
                                      "\" (use ms, s, m, h, d, w, y)");
    }
    total += n * mult;
    i = k;
  }
  return total;
}

std::string format_duration_ms(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  struct U {
    int64_t ms;
    const char* name;
  } units[] = {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& u : units) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.name;
      ms %= u.ms;
    }
  }
  return out;
}

namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), after H. Hinnant's days_from_civil.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Result<int64_t> parse_rfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  auto bad = [&] {
    return Status::invalid_argument("invalid time \"" + std::string(s) +
                                    "\": use RFC 3339 (2024-01-02T03:04:05Z) or Unix seconds");
  };
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) ||
      s[7] != '-' || !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, &h) || s[13] != ':' || !digits(s, 14, 2, &mi) || s[16] != ':' ||
      !digits(s, 17, 2, &sec)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return bad();
  size_t i = 19;
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    i++;
    int64_t scale = 100;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac_ms += (s[i] - '0') * scale;
      scale /= 10;
      i++;
    }
    if (i == start) return bad();
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    i++;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, &om)) {
      return bad();
    }
    offset_s = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  return secs * 1000 + frac_ms;
}

}  // namespace

Result<int64_t> parse_time_ms(std::string_view s) {
  if (s.empty()) return Status::invalid_argument("empty time");
  double secs;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec == std::errc() && p == s.data() + s.size()) {
    if (!std::isfinite(secs) || std::fabs(secs) > 1e13) {
      return Status::invalid_argument("time out of range: \"" + std::string(s) + "\"");
    }
    return static_cast<int64_t>(std::llround(secs * 1000));
  }
  return parse_rfc3339(s);
}

Result<int64_t> parse_time_flexible_ms(std::string_view s, int64_t now_ms) {
  if (s == "now") return now_ms;
  if (s.starts_with("now-")) {
    auto d = parse_duration_ms(s.substr(4));
    if (!d.ok()) return d.status();
    return now_ms - *d;
  }
  bool all_digits = !s.empty();
  for (char c : s) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits && s.size() >= 13) {
    int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  return parse_time_ms(s);
}

std::string format_rfc3339_ms(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int64_t frac = ms - secs * 1000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     static_cast<int>(frac));
}

}  // namespace opsight
