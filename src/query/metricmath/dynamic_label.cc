#include "query/metricmath/dynamic_label.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "common/time_util.h"
#include "query/metricmath/series_ops.h"

namespace opsight::query::metricmath {
namespace {

std::string format_time(int64_t ms, int tz_minutes) {
  std::string s = format_rfc3339_ms(ms + static_cast<int64_t>(tz_minutes) * 60'000);
  // "2024-01-02T03:04:05.000Z": drop zero milliseconds, put the offset in place of Z.
  if (s.size() > 5 && s.compare(s.size() - 5, 5, ".000Z") == 0) {
    s.resize(s.size() - 5);
  } else if (!s.empty() && s.back() == 'Z') {
    s.pop_back();
  }
  int a = std::abs(tz_minutes);
  s += fmt::format("{}{:02}:{:02}", tz_minutes < 0 ? '-' : '+', a / 60, a % 60);
  return s;
}

std::string placeholder(std::string_view name, const TimeSeries& s, std::string_view default_label,
                        int tz, bool* known) {
  *known = true;
  if (name == "LABEL") return std::string(default_label);
  if (name == "DATAPOINT_COUNT") return std::to_string(s.size());
  if (name.starts_with("PROP(") && name.ends_with(")")) {
    std::string_view arg = name.substr(5, name.size() - 6);
    if (arg.size() >= 2 && (arg.front() == '\'' || arg.front() == '"') &&
        arg.back() == arg.front()) {
      arg = arg.substr(1, arg.size() - 2);
    }
    if (arg == "MetricName") return std::string(s.labels.metric_name());
    if (arg == "Namespace") return std::string(s.labels.get("Namespace"));
    if (arg == "Stat") return s.stat;
    if (arg == "Period") return std::to_string(s.period_ms / 1000);
    if (arg.starts_with("Dim.")) return std::string(s.labels.get(arg.substr(4)));
    *known = false;
    return "";
  }
  if (name == "FIRST_TIME" || name == "LAST_TIME") {
    if (s.empty()) return "";
    return format_time(name == "FIRST_TIME" ? s.timestamps.front() : s.timestamps.back(), tz);
  }
  double v;
  if (name == "AVG") {
    v = reduce_series(s, Reducer::kAvg);
  } else if (name == "MIN") {
    v = reduce_series(s, Reducer::kMin);
  } else if (name == "MAX") {
    v = reduce_series(s, Reducer::kMax);
  } else if (name == "SUM") {
    v = reduce_series(s, Reducer::kSum);
  } else if (name == "FIRST") {
    v = s.empty() ? std::nan("") : s.values.front();
  } else if (name == "LAST") {
    v = s.empty() ? std::nan("") : s.values.back();
  } else {
    *known = false;
    return "";
  }
  return std::isfinite(v) ? format_label_number(v) : "";
}

}  // namespace

Result<int> parse_timezone_offset(std::string_view tz) {
  if (tz.empty()) return 0;
  auto bad = [&] {
    return Status::invalid_argument(
        fmt::format("LabelOptions.Timezone \"{}\" must be +HHMM or -HHMM (e.g. +0130, -0500)", tz));
  };
  if (tz.size() != 5 || (tz[0] != '+' && tz[0] != '-')) return bad();
  for (size_t i = 1; i < 5; i++) {
    if (!std::isdigit(static_cast<unsigned char>(tz[i]))) return bad();
  }
  int h = (tz[1] - '0') * 10 + (tz[2] - '0');
  int m = (tz[3] - '0') * 10 + (tz[4] - '0');
  if (h > 23 || m > 59) return bad();
  int off = h * 60 + m;
  return tz[0] == '-' ? -off : off;
}

std::string format_label_number(double v) {
  if (std::fabs(v) < 1e15 && v == std::floor(v)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

std::string expand_dynamic_label(std::string_view label, const TimeSeries& s,
                                 std::string_view default_label, int tz_offset_minutes) {
  std::string out;
  size_t i = 0;
  while (i < label.size()) {
    size_t open = label.find("${", i);
    if (open == std::string_view::npos) break;
    size_t close = label.find('}', open + 2);
    if (close == std::string_view::npos) break;
    out.append(label.substr(i, open - i));
    std::string_view name = label.substr(open + 2, close - open - 2);
    bool known;
    std::string v = placeholder(name, s, default_label, tz_offset_minutes, &known);
    if (known) {
      out += v;
    } else {
      out.append(label.substr(open, close - open + 1));
    }
    i = close + 1;
  }
  out.append(label.substr(i));
  return out;
}

}  // namespace opsight::query::metricmath
