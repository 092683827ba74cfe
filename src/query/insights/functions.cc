#include "query/insights/functions.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "query/insights/text_search.h"

namespace opsight::query::insights {
namespace {

constexpr FnInfo kFunctions[] = {
    {"strlen", Fn::kStrlen, 1, 1, false},
    {"toupper", Fn::kToupper, 1, 1, false},
    {"tolower", Fn::kTolower, 1, 1, false},
    {"trim", Fn::kTrim, 1, 2, false},
    {"ltrim", Fn::kLtrim, 1, 2, false},
    {"rtrim", Fn::kRtrim, 1, 2, false},
    {"substr", Fn::kSubstr, 2, 3, false},
    {"replace", Fn::kReplace, 3, 3, false},
    {"concat", Fn::kConcat, 1, -1, false},
    {"strcontains", Fn::kStrcontains, 2, 2, false},
    {"isempty", Fn::kIsempty, 1, 1, false},
    {"isblank", Fn::kIsblank, 1, 1, false},
    {"ispresent", Fn::kIspresent, 1, 1, false},
    {"coalesce", Fn::kCoalesce, 1, -1, false},
    {"if", Fn::kIf, 2, 3, false},
    {"unmask", Fn::kUnmask, 1, 1, false},
    {"abs", Fn::kAbs, 1, 1, false},
    {"ceil", Fn::kCeil, 1, 1, false},
    {"floor", Fn::kFloor, 1, 1, false},
    {"greatest", Fn::kGreatest, 1, -1, false},
    {"least", Fn::kLeast, 1, -1, false},
    {"log", Fn::kLog, 1, 1, false},
    {"sqrt", Fn::kSqrt, 1, 1, false},
    {"pow", Fn::kPow, 2, 2, false},
    {"bin", Fn::kBin, 1, 1, false},
    {"datefloor", Fn::kDatefloor, 2, 2, false},
    {"dateceil", Fn::kDateceil, 2, 2, false},
    {"frommillis", Fn::kFromMillis, 1, 1, false},
    {"tomillis", Fn::kToMillis, 1, 1, false},
    {"isvalidip", Fn::kIsValidIp, 1, 1, false},
    {"isvalidipv4", Fn::kIsValidIpV4, 1, 1, false},
    {"isvalidipv6", Fn::kIsValidIpV6, 1, 1, false},
    {"isipinsubnet", Fn::kIsIpInSubnet, 2, 2, false},
    {"isipv4insubnet", Fn::kIsIpv4InSubnet, 2, 2, false},
    {"isipv6insubnet", Fn::kIsIpv6InSubnet, 2, 2, false},
    {"count", Fn::kCount, 0, 1, true},
    {"count_distinct", Fn::kCountDistinct, 1, 1, true},
    {"sum", Fn::kSum, 1, 1, true},
    {"avg", Fn::kAvg, 1, 1, true},
    {"min", Fn::kMin, 1, 1, true},
    {"max", Fn::kMax, 1, 1, true},
    {"pct", Fn::kPct, 2, 2, true},
    {"stddev", Fn::kStddev, 1, 1, true},
    {"earliest", Fn::kEarliest, 1, 1, true},
    {"latest", Fn::kLatest, 1, 1, true},
    {"sortsfirst", Fn::kSortsFirst, 1, 1, true},
    {"sortslast", Fn::kSortsLast, 1, 1, true},
};

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Byte offset of code point `n` in UTF-8 text (s.size() when past the end).
size_t utf8_offset(std::string_view s, int64_t n) {
  size_t i = 0;
  for (int64_t k = 0; k < n && i < s.size(); k++) {
    i++;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) i++;
  }
  return i;
}

int64_t utf8_length(std::string_view s) {
  int64_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) n++;
  }
  return n;
}

std::string trim_chars(std::string_view s, bool left, bool right, const std::string* set) {
  auto strip = [&](char c) { return set ? set->find(c) != std::string::npos : is_space(c); };
  size_t b = 0, e = s.size();
  if (left) {
    while (b < e && strip(s[b])) b++;
  }
  if (right) {
    while (e > b && strip(s[e - 1])) e--;
  }
  return std::string(s.substr(b, e - b));
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

bool parse_ip(std::string_view s, int family, std::array<unsigned char, 16>* out) {
  if (s.empty() || s.size() > 64) return false;
  char buf[72];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return inet_pton(family == 4 ? AF_INET : AF_INET6, buf, out->data()) == 1;
}

}  // namespace

const FnInfo* find_function(std::string_view name) {
  for (const auto& f : kFunctions) {
    if (ieq(name, f.name)) return &f;
  }
  return nullptr;
}

bool is_valid_ipv4(std::string_view s) {
  std::array<unsigned char, 16> b{};
  return parse_ip(s, 4, &b);
}

bool is_valid_ipv6(std::string_view s) {
  std::array<unsigned char, 16> b{};
  return parse_ip(s, 6, &b);
}

bool ip_in_subnet(std::string_view ip, std::string_view cidr, int family) {
  size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view net = cidr.substr(0, slash);
  std::string_view bits_text = cidr.substr(slash + 1);
  if (bits_text.empty() || bits_text.size() > 3) return false;
  int bits = 0;
  for (char c : bits_text) {
    if (c < '0' || c > '9') return false;
    bits = bits * 10 + (c - '0');
  }
  for (int fam : {4, 6}) {
    if (family != 0 && family != fam) continue;
    std::array<unsigned char, 16> a{}, n{};
    if (!parse_ip(ip, fam, &a) || !parse_ip(net, fam, &n)) continue;
    int width = fam == 4 ? 32 : 128;
    if (bits > width) return false;
    int full = bits / 8, rest = bits % 8;
    if (std::memcmp(a.data(), n.data(), full) != 0) return false;
    if (rest == 0) return true;
    unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
    return (a[full] & mask) == (n[full] & mask);
  }
  return false;
}

Value call_scalar(Fn fn, std::span<const Value> args) {
  auto text = [&](size_t i) { return i < args.size() ? as_text(args[i]) : std::nullopt; };
  auto num = [&](size_t i) { return i < args.size() ? as_number(args[i]) : std::nullopt; };
  switch (fn) {
    case Fn::kStrlen: {
      auto s = text(0);
      return s ? Value::number(static_cast<double>(utf8_length(*s))) : Value::null();
    }
    case Fn::kToupper:
    case Fn::kTolower: {
      auto s = text(0);
      if (!s) return Value::null();
      for (char& c : *s) {
        if (fn == Fn::kToupper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (fn == Fn::kTolower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      return Value::string(std::move(*s));
    }
    case Fn::kTrim:
    case Fn::kLtrim:
    case Fn::kRtrim: {
      auto s = text(0);
      if (!s) return Value::null();
      std::optional<std::string> set = args.size() > 1 ? text(1) : std::nullopt;
      return Value::string(
          trim_chars(*s, fn != Fn::kRtrim, fn != Fn::kLtrim, set ? &*set : nullptr));
    }
    case Fn::kSubstr: {
      auto s = text(0);
      auto start = num(1);
      if (!s || !start) return Value::null();
      int64_t b = std::max<int64_t>(0, static_cast<int64_t>(*start));
      size_t bo = utf8_offset(*s, b);
      size_t eo = s->size();
      if (args.size() > 2) {
        auto len = num(2);
        if (!len) return Value::null();
        int64_t l = std::max<int64_t>(0, static_cast<int64_t>(*len));
        eo = bo + utf8_offset(std::string_view(*s).substr(bo), l);
      }
      return Value::string(s->substr(bo, eo - bo));
    }
    case Fn::kReplace: {
      auto s = text(0), from = text(1), to = text(2);
      if (!s || !from || !to) return Value::null();
      if (from->empty()) return Value::string(std::move(*s));
      std::string out;
      size_t pos = 0;
      while (true) {
        size_t hit = s->find(*from, pos);
        if (hit == std::string::npos) break;
        out.append(*s, pos, hit - pos);
        out += *to;
        pos = hit + from->size();
      }
      out.append(*s, pos, std::string::npos);
      return Value::string(std::move(out));
    }
    case Fn::kConcat: {
      std::string out;
      for (size_t i = 0; i < args.size(); i++) {
        if (auto s = text(i)) out += *s;
      }
      return Value::string(std::move(out));
    }
    case Fn::kStrcontains: {
      std::string scratch_s, scratch_sub;
      std::string_view s, sub;
      if (args.size() < 2 || !text_view(args[0], &scratch_s, &s) ||
          !text_view(args[1], &scratch_sub, &sub)) {
        return Value::number(0);
      }
      return Value::number(contains_text(s, sub) ? 1 : 0);
    }
    case Fn::kIsempty: {
      auto s = text(0);
      return Value::boolean(!s || s->empty());
    }
    case Fn::kIsblank: {
      auto s = text(0);
      return Value::boolean(!s || std::all_of(s->begin(), s->end(), is_space));
    }
    case Fn::kUnmask:
      return args.empty() ? Value::null() : args[0];
    case Fn::kAbs:
    case Fn::kCeil:
    case Fn::kFloor:
    case Fn::kLog:
    case Fn::kSqrt: {
      auto x = num(0);
      if (!x) return Value::null();
      switch (fn) {
        case Fn::kAbs:
          return Value::number(std::fabs(*x));
        case Fn::kCeil:
          return Value::number(std::ceil(*x));
        case Fn::kFloor:
          return Value::number(std::floor(*x));
        case Fn::kLog:
          return *x > 0 ? Value::number(std::log(*x)) : Value::null();
        default:
          return *x >= 0 ? Value::number(std::sqrt(*x)) : Value::null();
      }
    }
    case Fn::kPow: {
      auto a = num(0), b = num(1);
      if (!a || !b) return Value::null();
      double r = std::pow(*a, *b);
      return std::isfinite(r) ? Value::number(r) : Value::null();
    }
    case Fn::kGreatest:
    case Fn::kLeast: {
      std::optional<double> best;
      for (size_t i = 0; i < args.size(); i++) {
        auto x = num(i);
        if (!x) continue;
        if (!best || (fn == Fn::kGreatest ? *x > *best : *x < *best)) best = x;
      }
      return best ? Value::number(*best) : Value::null();
    }
    case Fn::kDatefloor:
    case Fn::kDateceil: {
      auto t = args.empty() ? std::nullopt : as_time_ms(args[0]);
      auto p = num(1);
      if (!t || !p || *p < 1) return Value::null();
      int64_t period = static_cast<int64_t>(*p);
      int64_t f = floor_div(*t, period) * period;
      if (fn == Fn::kDateceil && f != *t) f += period;
      return Value::time(f);
    }
    case Fn::kFromMillis: {
      auto t = args.empty() ? std::nullopt : as_time_ms(args[0]);
      return t ? Value::time(*t) : Value::null();
    }
    case Fn::kToMillis: {
      auto t = args.empty() ? std::nullopt : as_time_ms(args[0]);
      return t ? Value::number(static_cast<double>(*t)) : Value::null();
    }
    case Fn::kIsValidIp:
    case Fn::kIsValidIpV4:
    case Fn::kIsValidIpV6: {
      auto s = text(0);
      if (!s) return Value::boolean(false);
      bool v4 = fn != Fn::kIsValidIpV6 && is_valid_ipv4(*s);
      bool v6 = fn != Fn::kIsValidIpV4 && is_valid_ipv6(*s);
      return Value::boolean(v4 || v6);
    }
    case Fn::kIsIpInSubnet:
    case Fn::kIsIpv4InSubnet:
    case Fn::kIsIpv6InSubnet: {
      auto s = text(0), net = text(1);
      if (!s || !net) return Value::boolean(false);
      int family = fn == Fn::kIsIpv4InSubnet ? 4 : (fn == Fn::kIsIpv6InSubnet ? 6 : 0);
      return Value::boolean(ip_in_subnet(*s, *net, family));
    }
    default:
      return Value::null();
  }
}

}  // namespace opsight::query::insights
