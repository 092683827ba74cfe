#include "ingest/otlp/otlp_naming.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace opsight::ingest::otlp {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// UCUM -> Prometheus unit words (the table the OpenTelemetry Collector's Prometheus
// translator uses; the compatibility spec asks for "abbreviations to full words").
std::string_view main_unit_word(std::string_view u) {
  struct Entry {
    std::string_view ucum, word;
  };
  static constexpr Entry kUnits[] = {
      // time
      {"d", "days"},
      {"h", "hours"},
      {"min", "minutes"},
      {"s", "seconds"},
      {"ms", "milliseconds"},
      {"us", "microseconds"},
      {"ns", "nanoseconds"},
      // bytes
      {"By", "bytes"},
      {"KiBy", "kibibytes"},
      {"MiBy", "mebibytes"},
      {"GiBy", "gibibytes"},
      {"TiBy", "tibibytes"},
      {"KBy", "kilobytes"},
      {"MBy", "megabytes"},
      {"GBy", "gigabytes"},
      {"TBy", "terabytes"},
      // SI
      {"m", "meters"},
      {"V", "volts"},
      {"A", "amperes"},
      {"J", "joules"},
      {"W", "watts"},
      {"g", "grams"},
      // misc
      {"Cel", "celsius"},
      {"Hz", "hertz"},
      {"%", "percent"},
  };
  for (const auto& e : kUnits) {
    if (e.ucum == u) return e.word;
  }
  return {};
}

std::string_view per_unit_word(std::string_view u) {
  struct Entry {
    std::string_view ucum, word;
  };
  static constexpr Entry kUnits[] = {
      {"s", "second"}, {"m", "minute"}, {"min", "minute"}, {"h", "hour"},
      {"d", "day"},    {"w", "week"},   {"mo", "month"},   {"y", "year"},
  };
  for (const auto& e : kUnits) {
    if (e.ucum == u) return e.word;
  }
  return {};
}

// Non-alphanumeric characters -> "_", runs collapsed, leading/trailing "_" dropped.
std::string sanitize_unit(std::string_view u) {
  std::string out;
  for (char c : u) {
    if (is_alnum(c)) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The unit split into its main word ("bytes") and its per word ("second").
struct UnitWords {
  std::string main;
  std::string per;
};

UnitWords unit_words(std::string_view ucum, bool gauge) {
  // Drop annotations in braces: "{packet}" is a count of packets, unitless in Prometheus.
  std::string u;
  for (size_t i = 0; i < ucum.size(); i++) {
    if (ucum[i] == '{') {
      size_t close = ucum.find('}', i);
      if (close == std::string_view::npos) break;
      i = close;
      continue;
    }
    u += ucum[i];
  }
  std::string_view s = trim(u);
  UnitWords w;
  if (s == "1") {
    if (gauge) w.main = "ratio";
    return w;
  }
  std::string_view main = s;
  std::string_view per;
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    main = trim(s.substr(0, slash));
    per = trim(s.substr(slash + 1));
  }
  if (main != "1") {
    std::string_view word = main_unit_word(main);
    w.main = word.empty() ? sanitize_unit(main) : std::string(word);
  }
  if (!per.empty()) {
    std::string_view word = per_unit_word(per);
    w.per = word.empty() ? sanitize_unit(per) : std::string(word);
  }
  return w;
}

// Splits a metric name into tokens at every character outside [a-zA-Z0-9:].
std::vector<std::string> name_tokens(std::string_view name) {
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : name) {
    if (is_alnum(c) || c == ':') {
      cur += c;
    } else if (!cur.empty()) {
      tokens.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  return tokens;
}

bool contains(const std::vector<std::string>& tokens, std::string_view t) {
  return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
}

}  // namespace

std::string prometheus_unit(std::string_view ucum, bool gauge) {
  UnitWords w = unit_words(ucum, gauge);
  if (w.per.empty()) return w.main;
  return (w.main.empty() ? "per_" : w.main + "_per_") + w.per;
}

std::string prometheus_metric_name(std::string_view name, std::string_view unit, NameKind kind) {
  std::vector<std::string> tokens = name_tokens(name);
  if (tokens.empty()) return {};
  if (kind == NameKind::kCounter && tokens.size() > 1 && tokens.back() == "total") {
    tokens.pop_back();  // re-added after the unit: the unit suffix comes first
  }
  UnitWords w = unit_words(unit, kind == NameKind::kGauge);
  if (!w.main.empty() && !contains(tokens, w.main)) tokens.push_back(w.main);
  if (!w.per.empty() && !contains(tokens, w.per)) {
    tokens.push_back("per");
    tokens.push_back(w.per);
  }
  if (kind == NameKind::kCounter) tokens.push_back("total");
  std::string out;
  if (is_digit(tokens.front().front())) out += '_';
  for (size_t i = 0; i < tokens.size(); i++) {
    if (i > 0) out += '_';
    out += tokens[i];
  }
  return out;
}

std::string sanitize_label_name(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 4);
  for (char c : key) {
    char o = is_alnum(c) ? c : '_';
    if (o == '_' && !out.empty() && out.back() == '_') continue;
    out += o;
  }
  if (!out.empty() && is_digit(out.front())) out.insert(0, "key_");
  return out;
}

std::string format_label_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];  // the longest fixed-notation double (denormals) is ~330 characters
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (res.ec != std::errc()) return fmt::format("{}", v);
  return std::string(buf, res.ptr);
}

}  // namespace opsight::ingest::otlp
