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

// A string value either owns its text or borrows it (Value::view): a borrowed value points into
// bytes that someone else keeps alive (a scanned record until the scanner's next call, the query's
// AST, a local of the operator that pushes the row). Evaluation borrows so that reading a field or
// a literal copies nothing; whatever outlives the row it came from (stats keys, kept sort rows,
// aggregator state) must hold owned() values.
struct Value {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kTime };
  Kind kind = Kind::kNull;
  bool b = false;
  double num = 0;
  int64_t ms = 0;

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
    x.str_ = std::move(v);
    return x;
  }
  // A string that borrows `v`: the bytes must outlive this value and its copies.
  static Value view(std::string_view v) {
    Value x;
    x.kind = Kind::kString;
    x.ptr_ = v.data();
    x.len_ = v.size();
    x.borrowed_ = true;
    return x;
  }
  static Value time(int64_t ms) {
    Value x;
    x.kind = Kind::kTime;
    x.ms = ms;
    return x;
  }
  bool is_null() const { return kind == Kind::kNull; }
  // The text of a string value ("" for other kinds).
  std::string_view sv() const { return borrowed_ ? std::string_view(ptr_, len_) : str_; }
  bool borrowed() const { return borrowed_; }
  // Copies borrowed text into the value, so that it no longer depends on the bytes it viewed.
  void own() {
    if (!borrowed_) return;
    str_.assign(ptr_, len_);
    borrowed_ = false;
    ptr_ = nullptr;
    len_ = 0;
  }
  Value owned() const {
    Value v = *this;
    v.own();
    return v;
  }
  // This value, borrowing its text from *this (which must outlive the result) instead of copying.
  Value borrow() const { return kind == Kind::kString ? view(sv()) : *this; }

 private:
  std::string str_;  // the text of an owned string
  const char* ptr_ = nullptr;
  size_t len_ = 0;
  bool borrowed_ = false;
};

// Strict decimal number ("12", "-1.5", "1e3"; no spaces, no hex). nullopt when not a number.
std::optional<double> parse_number(std::string_view s);
// The value as a number: numbers, booleans (1/0), timestamps (ms) and numeric strings.
std::optional<double> as_number(const Value& v);
// The value as a text (what a string function sees): the display form; nullopt for null.
std::optional<std::string> as_text(const Value& v);
// The same without copying a string value: a view of its text, or of the display form written
// into *scratch (which must outlive the view). False for null.
bool text_view(const Value& v, std::string* scratch, std::string_view* out);
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

// Identity of stats groups and dedup keys: the same kind and the same display form. Numbers
// compare numerically (the display form is the shortest round-trip text, so it is the same
// thing; -0 = 0 and NaN = NaN), strings by bytes. key_hash agrees with same_key and formats
// nothing.
bool same_key(const Value& a, const Value& b);
size_t key_hash(const Value& v);

}  // namespace opsight::query::insights
