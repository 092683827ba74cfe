// Template values, Go's fmt printing rules and the template functions. The humanize family
// follows Prometheus's template/template.go (documented in the template reference); printing
// follows Go's fmt and strconv documentation: %v of a float64 is strconv's 'g' format with the
// shortest precision, which uses an exponent when it is < -4 or >= 6 (fmt.Println(1e6) prints
// "1e+06", fmt.Println(123456.0) prints "123456").

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "rules/template.h"
#include "rules/template_format.h"

namespace opsight::rules {

namespace {

Status func_error(const std::string& name, const std::string& msg) {
  return Status::invalid_argument("error calling " + name + ": " + msg);
}

std::string non_finite(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

// Go's %.<prec>g (equal to C's for finite values; see the note in template.h).
std::string format_g(double v, int prec) {
  if (!std::isfinite(v)) return non_finite(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", prec, v);
  return buf;
}

Result<double> to_float(const std::string& fn, const TValue& v) {
  switch (v.kind) {
    case TValue::kFloat:
      return v.f;
    case TValue::kInt:
      return static_cast<double>(v.i);
    case TValue::kStr: {
      std::string s = v.s;
      if (s == "+Inf" || s == "Inf" || s == "inf" || s == "+inf") return HUGE_VAL;
      if (s == "-Inf" || s == "-inf") return -HUGE_VAL;
      if (s == "NaN") return std::nan("");
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size()) {
        return func_error(fn, "strconv.ParseFloat: parsing \"" + s + "\": invalid syntax");
      }
      return d;
    }
    default:
      return func_error(fn, "can't convert " + type_name(v) + " to float");
  }
}

// Go's time.Time.String() of a UTC time: "2006-01-02 15:04:05.999999999 +0000 UTC".
std::string go_time_string(int64_t unix_ns) {
  int64_t secs = unix_ns / 1'000'000'000;
  int64_t ns = unix_ns % 1'000'000'000;
  if (ns < 0) {
    ns += 1'000'000'000;
    secs--;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buf;
  if (ns != 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(ns));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  return out + " +0000 UTC";
}

int compare_values(const TValue& a, const TValue& b, Status* err) {
  auto numeric = [](const TValue& v) { return v.kind == TValue::kFloat || v.kind == TValue::kInt; };
  if (numeric(a) && numeric(b)) {
    if (a.kind == TValue::kInt && b.kind == TValue::kInt) return a.i < b.i ? -1 : a.i > b.i;
    double x = a.kind == TValue::kInt ? static_cast<double>(a.i) : a.f;
    double y = b.kind == TValue::kInt ? static_cast<double>(b.i) : b.f;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.kind == TValue::kStr && b.kind == TValue::kStr)
    return a.s.compare(b.s) < 0 ? -1 : a.s != b.s;
  if (a.kind == TValue::kBool && b.kind == TValue::kBool) return a.b == b.b ? 0 : 2;
  *err = Status::invalid_argument("incompatible types for comparison");
  return 0;
}

}  // namespace

std::string go_query_escape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

// fmt.Sprint: operands separated by a space when neither side is a string.
Result<std::string> go_sprint(const std::vector<TValue>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); i++) {
    if (i > 0 && args[i].kind != TValue::kStr && args[i - 1].kind != TValue::kStr) out += ' ';
    RETURN_IF_ERROR(print_value(args[i], &out));
  }
  return out;
}

std::string strip_port(const std::string& hp) {
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string::npos || end + 1 >= hp.size() || hp[end + 1] != ':') return hp;
    return hp.substr(1, end - 1);
  }
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos || hp.find(':') != colon) return hp;
  return hp.substr(0, colon);
}

// Go's regexp Expand syntax ($1, ${1}, ${name}, $$) -> RE2's rewrite syntax (\1).
std::string go_to_re2_rewrite(const std::string& repl, const RE2& re) {
  std::string out;
  for (size_t i = 0; i < repl.size(); i++) {
    char c = repl[i];
    if (c == '\\') {
      out += "\\\\";
      continue;
    }
    if (c != '$' || i + 1 >= repl.size()) {
      out += c;
      continue;
    }
    if (repl[i + 1] == '$') {
      out += '$';
      i++;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (repl[j] == '{') {
      size_t end = repl.find('}', j);
      if (end == std::string::npos) {
        out += c;
        continue;
      }
      name = repl.substr(j + 1, end - j - 1);
      j = end + 1;
    } else {
      while (j < repl.size() &&
             (std::isalnum(static_cast<unsigned char>(repl[j])) || repl[j] == '_'))
        j++;
      name = repl.substr(i + 1, j - i - 1);
    }
    i = j - 1;
    int idx = -1;
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
      idx = std::atoi(name.c_str());
    } else {
      auto it = re.NamedCapturingGroups().find(name);
      if (it != re.NamedCapturingGroups().end()) idx = it->second;
    }
    if (idx >= 0 && idx <= re.NumberOfCapturingGroups() && idx <= 9) {
      out += '\\';
      out += static_cast<char>('0' + idx);
    }
  }
  return out;
}

}  // namespace

bool truthy(const TValue& v) {
  switch (v.kind) {
    case TValue::kNil:
      return false;
    case TValue::kStr:
      return !v.s.empty();
    case TValue::kFloat:
      return v.f != 0;
    case TValue::kInt:
      return v.i != 0;
    case TValue::kBool:
      return v.b;
    case TValue::kMap:
      return v.m && !v.m->empty();
  }
  return false;
}

std::string type_name(const TValue& v) {
  switch (v.kind) {
    case TValue::kNil:
      return "nil";
    case TValue::kStr:
      return "string";
    case TValue::kFloat:
      return "float64";
    case TValue::kInt:
      return "int";
    case TValue::kBool:
      return "bool";
    case TValue::kMap:
      return "map[string]string";
  }
  return "?";
}

std::string go_format_float(double v) {
  if (!std::isfinite(v)) return non_finite(v);
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char sci[64];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  std::string_view s(sci, static_cast<size_t>(r.ptr - sci));
  size_t e = s.find('e');
  int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  if (exp < -4 || exp >= 6) return std::string(s);
  char fix[64];
  auto f = std::to_chars(fix, fix + sizeof fix, v, std::chars_format::fixed);
  return std::string(fix, static_cast<size_t>(f.ptr - fix));
}

Status print_value(const TValue& v, std::string* out) {
  switch (v.kind) {
    case TValue::kNil:
      *out += "<no value>";
      break;
    case TValue::kStr:
      *out += v.s;
      break;
    case TValue::kFloat:
      *out += go_format_float(v.f);
      break;
    case TValue::kInt:
      *out += std::to_string(v.i);
      break;
    case TValue::kBool:
      *out += v.b ? "true" : "false";
      break;
    case TValue::kMap: {
      *out += "map[";
      bool first = true;
      if (v.m) {
        for (const auto& l : *v.m) {
          if (!first) *out += ' ';
          first = false;
          *out += l.name + ":" + l.value;
        }
      }
      *out += "]";
      break;
    }
  }
  return OkStatus();
}

std::string humanize(double v) {
  if (v == 0 || !std::isfinite(v)) return format_g(v, 4);
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return format_g(v, 4) + prefix;
  }
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return format_g(v, 4) + prefix;
}

std::string humanize1024(double v) {
  if (std::fabs(v) <= 1 || !std::isfinite(v)) return format_g(v, 4);
  std::string prefix;
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return format_g(v, 4) + prefix;
}

std::string humanize_duration(double v) {
  if (!std::isfinite(v)) return format_g(v, 4);
  if (v == 0) return format_g(v, 4) + "s";
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    auto d = static_cast<int64_t>(v);
    int64_t seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 3600) % 24, days = d / 86400;
    auto n = [](int64_t x) { return std::to_string(x); };
    if (days != 0)
      return sign + n(days) + "d " + n(hours) + "h " + n(minutes) + "m " + n(seconds) + "s";
    if (hours != 0) return sign + n(hours) + "h " + n(minutes) + "m " + n(seconds) + "s";
    if (minutes != 0) return sign + n(minutes) + "m " + n(seconds) + "s";
    return sign + format_g(v, 4) + "s";
  }
  std::string prefix;
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return format_g(v, 4) + prefix + "s";
}

std::string humanize_percentage(double v) {
  return format_g(v * 100, 4) + "%";
}

Result<std::string> go_sprintf(std::string_view fmt, const std::vector<TValue>& args) {
  std::string out;
  size_t argi = 0;
  for (size_t i = 0; i < fmt.size(); i++) {
    char c = fmt[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      out += '%';
      i++;
      continue;
    }
    // %[flags][width][.prec]verb
    std::string flags;
    size_t j = i + 1;
    while (j < fmt.size() && std::string_view("-+ 0#").find(fmt[j]) != std::string_view::npos)
      flags += fmt[j++];
    int width = -1, prec = -1;
    if (j < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[j]))) {
      width = 0;
      while (j < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[j])))
        width = std::min(width * 10 + (fmt[j++] - '0'), 1000);
    }
    if (j < fmt.size() && fmt[j] == '.') {
      j++;
      prec = 0;
      while (j < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[j])))
        prec = std::min(prec * 10 + (fmt[j++] - '0'), 100);
    }
    if (j >= fmt.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = fmt[j];
    i = j;
    if (argi >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    const TValue& a = args[argi++];
    auto pad = [&](std::string s) {
      if (width > 0 && static_cast<int>(s.size()) < width) {
        size_t n = static_cast<size_t>(width) - s.size();
        if (flags.find('-') != std::string::npos) {
          s.append(n, ' ');
        } else {
          s.insert(0, n,
                   flags.find('0') != std::string::npos && a.kind != TValue::kStr ? '0' : ' ');
        }
      }
      out += s;
    };
    auto bad = [&]() -> Status {
      std::string v;
      RETURN_IF_ERROR(print_value(a, &v));
      out += std::string("%!") + verb + "(" + type_name(a) + "=" + v + ")";
      return OkStatus();
    };
    auto cfmt = [&](const char* conv) {
      std::string f = "%" + flags;
      if (width >= 0) f += std::to_string(width);
      if (prec >= 0) f += "." + std::to_string(prec);
      return f + conv;
    };
    char buf[512];
    switch (verb) {
      case 'v':
      case 's': {
        if (verb == 's' && a.kind != TValue::kStr && a.kind != TValue::kMap) {
          RETURN_IF_ERROR(bad());
          break;
        }
        if (a.kind == TValue::kFloat && prec >= 0) {
          pad(format_g(a.f, prec));
          break;
        }
        std::string s;
        RETURN_IF_ERROR(print_value(a, &s));
        if (a.kind == TValue::kStr && prec >= 0 && static_cast<size_t>(prec) < s.size())
          s.resize(static_cast<size_t>(prec));
        pad(s);
        break;
      }
      case 'q': {
        if (a.kind != TValue::kStr) {
          RETURN_IF_ERROR(bad());
          break;
        }
        std::string q = "\"";
        for (char ch : a.s) {
          if (ch == '"' || ch == '\\') {
            q += '\\';
            q += ch;
          } else if (ch == '\n') {
            q += "\\n";
          } else if (ch == '\t') {
            q += "\\t";
          } else {
            q += ch;
          }
        }
        pad(q + "\"");
        break;
      }
      case 't':
        if (a.kind != TValue::kBool) {
          RETURN_IF_ERROR(bad());
          break;
        }
        pad(a.b ? "true" : "false");
        break;
      case 'd':
        if (a.kind != TValue::kInt) {
          RETURN_IF_ERROR(bad());
          break;
        }
        std::snprintf(buf, sizeof buf, cfmt("lld").c_str(), static_cast<long long>(a.i));
        out += buf;
        break;
      case 'x':
      case 'X':
        if (a.kind == TValue::kInt) {
          std::snprintf(buf, sizeof buf, cfmt(verb == 'x' ? "llx" : "llX").c_str(),
                        static_cast<long long>(a.i));
          out += buf;
        } else if (a.kind == TValue::kStr) {
          std::string h;
          for (unsigned char ch : a.s) {
            std::snprintf(buf, sizeof buf, verb == 'x' ? "%02x" : "%02X", ch);
            h += buf;
          }
          pad(h);
        } else {
          RETURN_IF_ERROR(bad());
        }
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        double v;
        if (a.kind == TValue::kFloat) {
          v = a.f;
        } else {
          RETURN_IF_ERROR(bad());
          break;
        }
        if (!std::isfinite(v)) {
          pad(non_finite(v));
          break;
        }
        if ((verb == 'g' || verb == 'G') && prec < 0) {
          std::string s = go_format_float(v);
          if (flags.find('+') != std::string::npos && v >= 0) s = "+" + s;
          pad(s);
          break;
        }
        char conv[2] = {verb == 'F' ? 'f' : verb, 0};
        std::snprintf(buf, sizeof buf, cfmt(conv).c_str(), v);
        out += buf;
        break;
      }
      default:
        RETURN_IF_ERROR(bad());
        break;
    }
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); k++) {
      if (k > argi) out += ", ";
      out += type_name(args[k]) + "=";
      RETURN_IF_ERROR(print_value(args[k], &out));
    }
    out += ")";
  }
  return out;
}

Result<TValue> call_function(const std::string& name, const std::vector<TValue>& args) {
  auto want = [&](size_t n) -> Status {
    if (args.size() != n) {
      return Status::invalid_argument("wrong number of args for " + name + ": want " +
                                      std::to_string(n) + " got " + std::to_string(args.size()));
    }
    return OkStatus();
  };
  if (name == "and" || name == "or") {
    if (args.empty()) return Status::invalid_argument("wrong number of args for " + name);
    for (const auto& a : args) {
      if (name == "and" && !truthy(a)) return a;
      if (name == "or" && truthy(a)) return a;
    }
    return args.back();
  }
  if (name == "not") {
    RETURN_IF_ERROR(want(1));
    return TValue::boolean(!truthy(args[0]));
  }
  if (name == "eq") {
    if (args.size() < 2) return Status::invalid_argument("missing argument for comparison");
    for (size_t i = 1; i < args.size(); i++) {
      Status err;
      int c = compare_values(args[0], args[i], &err);
      if (!err.ok()) return func_error(name, err.message());
      if (c == 0) return TValue::boolean(true);
    }
    return TValue::boolean(false);
  }
  if (name == "ne" || name == "lt" || name == "le" || name == "gt" || name == "ge") {
    RETURN_IF_ERROR(want(2));
    Status err;
    int c = compare_values(args[0], args[1], &err);
    if (!err.ok()) return func_error(name, err.message());
    if (name != "ne" && c == 2) return func_error(name, "invalid type for comparison");
    if (name == "ne") return TValue::boolean(c != 0);
    if (name == "lt") return TValue::boolean(c < 0);
    if (name == "le") return TValue::boolean(c <= 0);
    if (name == "gt") return TValue::boolean(c > 0);
    return TValue::boolean(c >= 0);
  }
  if (name == "len") {
    RETURN_IF_ERROR(want(1));
    TValue r;
    r.kind = TValue::kInt;
    if (args[0].kind == TValue::kStr) {
      r.i = static_cast<int64_t>(args[0].s.size());
    } else if (args[0].kind == TValue::kMap) {
      r.i = args[0].m ? static_cast<int64_t>(args[0].m->size()) : 0;
    } else {
      return func_error(name, "len of type " + type_name(args[0]));
    }
    return r;
  }
  if (name == "index") {
    RETURN_IF_ERROR(want(2));
    if (args[0].kind != TValue::kMap || args[1].kind != TValue::kStr)
      return func_error(name, "can't index item of type " + type_name(args[0]));
    return TValue::str(args[0].m ? std::string(args[0].m->get(args[1].s)) : "");
  }
  if (name == "print") {
    ASSIGN_OR_RETURN(std::string s, go_sprint(args));
    return TValue::str(std::move(s));
  }
  if (name == "printf") {
    if (args.empty() || args[0].kind != TValue::kStr)
      return func_error(name, "the first argument must be a format string");
    ASSIGN_OR_RETURN(std::string s,
                     go_sprintf(args[0].s, std::vector<TValue>(args.begin() + 1, args.end())));
    return TValue::str(std::move(s));
  }
  if (name == "urlquery") {
    ASSIGN_OR_RETURN(std::string s, go_sprint(args));
    return TValue::str(go_query_escape(s));
  }
  if (name == "safeHtml") {
    RETURN_IF_ERROR(want(1));
    std::string s;
    RETURN_IF_ERROR(print_value(args[0], &s));
    return TValue::str(std::move(s));
  }
  if (name.starts_with("humanize")) {
    RETURN_IF_ERROR(want(1));
    ASSIGN_OR_RETURN(double v, to_float(name, args[0]));
    if (name == "humanize") return TValue::str(humanize(v));
    if (name == "humanize1024") return TValue::str(humanize1024(v));
    if (name == "humanizeDuration") return TValue::str(humanize_duration(v));
    if (name == "humanizePercentage") return TValue::str(humanize_percentage(v));
    if (!std::isfinite(v)) return TValue::str(format_g(v, 4));
    return TValue::str(go_time_string(static_cast<int64_t>(v * 1e9)));
  }
  if (name == "toUpper" || name == "toLower" || name == "title" || name == "stripPort") {
    RETURN_IF_ERROR(want(1));
    if (args[0].kind != TValue::kStr)
      return func_error(name, "wrong type for value; expected string; got " + type_name(args[0]));
    std::string s = args[0].s;
    if (name == "stripPort") return TValue::str(strip_port(s));
    bool start = true;
    for (char& ch : s) {
      auto u = static_cast<unsigned char>(ch);
      if (name == "toUpper") {
        ch = static_cast<char>(std::toupper(u));
      } else if (name == "toLower") {
        ch = static_cast<char>(std::tolower(u));
      } else {
        if (start && std::isalpha(u)) ch = static_cast<char>(std::toupper(u));
        start = !(std::isalnum(u) || ch == '_' || u >= 0x80);
      }
    }
    return TValue::str(std::move(s));
  }
  if (name == "match" || name == "reReplaceAll") {
    RETURN_IF_ERROR(want(name == "match" ? 2 : 3));
    for (const auto& a : args) {
      if (a.kind != TValue::kStr)
        return func_error(name, "wrong type for value; expected string; got " + type_name(a));
    }
    RE2 re(args[0].s, RE2::Quiet);
    if (!re.ok()) return func_error(name, "error parsing regexp: " + re.error());
    if (name == "match") return TValue::boolean(RE2::PartialMatch(args[1].s, re));
    std::string text = args[2].s;
    RE2::GlobalReplace(&text, re, go_to_re2_rewrite(args[1].s, re));
    return TValue::str(std::move(text));
  }
  return Status::invalid_argument("function \"" + name + "\" not defined");
}

}  // namespace opsight::rules
