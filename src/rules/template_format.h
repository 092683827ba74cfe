#pragma once
// Internal to the template evaluator (template.cc): the values a template computes with, how Go's
// fmt prints them, and the function table (template_funcs.cc). Not a public API.

#include <cstdint>
#include <string>
#include <vector>

#include "common/labels.h"
#include "common/status.h"

namespace opsight::rules {

// A Go template value: nil, string, float64, int, bool or map[string]string (a label set).
struct TValue {
  enum Kind { kNil, kStr, kFloat, kInt, kBool, kMap } kind = kNil;
  std::string s;
  double f = 0;
  int64_t i = 0;
  bool b = false;
  const Labels* m = nullptr;  // kMap; null = empty map

  static TValue str(std::string v) {
    TValue t;
    t.kind = kStr;
    t.s = std::move(v);
    return t;
  }
  static TValue flt(double v) {
    TValue t;
    t.kind = kFloat;
    t.f = v;
    return t;
  }
  static TValue boolean(bool v) {
    TValue t;
    t.kind = kBool;
    t.b = v;
    return t;
  }
  static TValue map(const Labels* v) {
    TValue t;
    t.kind = kMap;
    t.m = v;
    return t;
  }
};

// Go's notion of truth for `if`, `and`, `or`, `not`: false, 0, "", nil and empty maps are false.
bool truthy(const TValue& v);
// Go's type names in error messages: "string", "float64", "int", "bool", "map[string]string".
std::string type_name(const TValue& v);
// Appends v as Go's fmt %v prints it.
Status print_value(const TValue& v, std::string* out);
// Calls a built-in or Prometheus template function (the names template.cc accepts).
Result<TValue> call_function(const std::string& name, const std::vector<TValue>& args);
// Go's fmt.Sprintf for the verbs %v %s %d %f %F %e %E %g %G %q %x %X %t %% with flags, width
// and precision.
Result<std::string> go_sprintf(std::string_view format, const std::vector<TValue>& args);

}  // namespace opsight::rules
