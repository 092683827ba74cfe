#pragma once
// Values of the Logs Insights language. Log fields are text; a value is compared and computed on
// as a number when it reads as one ("200" = 200), as CloudWatch Logs Insights does. Timestamps
// (@timestamp, @ingestionTime, bin(), fromMillis()) are a kind of their own so that they display
// the way the CloudWatch console shows them: "2024-01-02 03:04:05.678" (UTC).
//
// Null is "the field is absent": any comparison with null is false, arithmetic with null is null,
// and a null cell is shown as no value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace opsight::query::insights {

struct Value {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kTime };
  Kind kind = Kind::kNull;
  bool b = false;
  double num = 0;
  int64_t ms = 0;
  std::string str;

  static Value null() { return Value(); }
  static Value boolean(bool v) {
    Value x;
    x.kind = Kind::kBool;
    x.b = v;
    return x;
  }
  static Value number(double v) {
    Value x;
    x.kind = Kind::kNumber;
    x.num = v;
    return x;
  }
  static Value string(std::string v) {
    Value x;
    x.kind = Kind::kString;
    x.str = std::move(v);
    return x;
  }
  static Value time(int64_t ms) {
    Value x;
    x.kind = Kind::kTime;
    x.ms = ms;
    return x;
  }
  bool is_null() const { return kind == Kind::kNull; }
};

// Strict decimal number ("12", "-1.5", "1e3"; no spaces, no hex). nullopt when not a number.
std::optional<double> parse_number(std::string_view s);
// The value as a number: numbers, booleans (1/0), timestamps (ms) and numeric strings.
std::optional<double> as_number(const Value& v);
// The value as a text (what a string function sees): the display form; nullopt for null.
std::optional<std::string> as_text(const Value& v);
// The value as a timestamp in ms: timestamps and numbers (taken as ms since the epoch).
std::optional<int64_t> as_time_ms(const Value& v);
// Truth of a filter condition: true, a non-zero number, a numeric string != 0, or "true".
bool truthy(const Value& v);

// How a result cell shows a value: numbers in shortest round-trip form ("3", "1.5"), booleans
// as 1/0, timestamps as "2024-01-02 03:04:05.678"; nullopt for null.
std::optional<std::string> display(const Value& v);
std::string format_timestamp(int64_t ms);

// Equality for =, != and `in`: numerically when both read as numbers, else exact text.
// False when either side is null.
bool values_equal(const Value& a, const Value& b);
// Order for <, >, sort, min/max: numerically when both read as numbers, else by text (bytes).
// Precondition: neither is null.
int compare_values(const Value& a, const Value& b);

}  // namespace opsight::query::insights
