#include "anomaly/series_csv.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace opsight::anomaly {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool digits(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; i++) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Result<double> parse_value(std::string_view s) {
  s = trim(s);
  if (s.empty() || iequals(s, "nan")) return NAN;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return Status::invalid_argument("value \"" + std::string(s) + "\" is not a number");
  }
  return v;
}

}  // namespace

Result<int64_t> parse_csv_timestamp(std::string_view s) {
  s = trim(s);
  int y, mo, d, h, mi, se;
  if (s.size() >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == ' ' || s[10] == 'T') &&
      s[13] == ':' && s[16] == ':' && digits(s, 0, 4, &y) && digits(s, 5, 2, &mo) &&
      digits(s, 8, 2, &d) && digits(s, 11, 2, &h) && digits(s, 14, 2, &mi) &&
      digits(s, 17, 2, &se) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 &&
      se <= 60) {
    std::string_view rest = s.substr(19);
    int64_t ms = 0;
    if (!rest.empty() && rest.front() == '.') {
      rest.remove_prefix(1);
      int64_t scale = 100;
      while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
        ms += (rest.front() - '0') * scale;
        scale /= 10;
        rest.remove_prefix(1);
      }
    }
    if (rest == "Z" || rest.empty()) {
      return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60'000 + se * 1000 + ms;
    }
  }
  double secs = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (!s.empty() && ec == std::errc() && p == s.data() + s.size() && std::isfinite(secs)) {
    return static_cast<int64_t>(std::llround(secs * 1000));
  }
  return Status::invalid_argument("timestamp \"" + std::string(s) +
                                  "\" is neither YYYY-MM-DD HH:MM:SS nor Unix seconds");
}

Result<CsvSeries> parse_series_csv(std::string_view text) {
  CsvSeries out;
  size_t line_no = 0;
  size_t start = 0;
  bool header = false;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    size_t comma = line.find(',');
    if (!header) {
      if (comma == std::string_view::npos || !iequals(trim(line.substr(0, comma)), "timestamp") ||
          !iequals(trim(line.substr(comma + 1)), "value")) {
        return Status::invalid_argument("line " + std::to_string(line_no) +
                                        ": expected the header row \"timestamp,value\"");
      }
      header = true;
      continue;
    }
    if (comma == std::string_view::npos || line.find(',', comma + 1) != std::string_view::npos) {
      return Status::invalid_argument("line " + std::to_string(line_no) +
                                      ": expected two fields, timestamp,value");
    }
    std::string_view ts_text = trim(line.substr(0, comma));
    std::string_view v_text = trim(line.substr(comma + 1));
    Result<int64_t> ts = parse_csv_timestamp(ts_text);
    if (!ts.ok()) return ts.status().with_prefix("line " + std::to_string(line_no));
    Result<double> v = parse_value(v_text);
    if (!v.ok()) return v.status().with_prefix("line " + std::to_string(line_no));
    out.timestamp_text.emplace_back(ts_text);
    out.value_text.emplace_back(v_text);
    out.ts_ms.push_back(*ts);
    out.values.push_back(*v);
  }
  if (!header) return Status::invalid_argument("empty input: expected \"timestamp,value\" CSV");
  return out;
}

std::string score_series_csv(const CsvSeries& series, const DetectorOptions& options) {
  StreamingDetector detector(options);
  std::string out = "timestamp,value,anomaly_score\n";
  out.reserve(series.values.size() * 48);
  char buf[32];
  for (size_t i = 0; i < series.values.size(); i++) {
    double s = detector.score(series.ts_ms[i], series.values[i]);
    int n = std::snprintf(buf, sizeof buf, "%.9g", s);
    out += series.timestamp_text[i];
    out.push_back(',');
    out += series.value_text[i];
    out.push_back(',');
    out.append(buf, static_cast<size_t>(n));
    out.push_back('\n');
  }
  return out;
}

}  // namespace opsight::anomaly
