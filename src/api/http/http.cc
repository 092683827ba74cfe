#include "api/http/http.h"

namespace opsight::api {

std::optional<std::string_view> HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view HttpRequest::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

bool HttpRequest::has_param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return true;
  }
  return false;
}

std::vector<std::string_view> HttpRequest::params_named(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : params) {
    if (k == name) out.emplace_back(v);
  }
  return out;
}

HttpResponse HttpResponse::text(int status, std::string body) {
  if (!body.empty() && body.back() != '\n') body += '\n';
  return HttpResponse{status, "text/plain; charset=utf-8", {}, std::move(body)};
}

HttpResponse HttpResponse::json(int status, std::string body) {
  return HttpResponse{status, "application/json", {}, std::move(body)};
}

int http_status_for(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kResourceExhausted:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kDeadlineExceeded:
      return 503;
    case Code::kPermissionDenied:
      return 403;
    case Code::kUnauthenticated:
      return 401;
    case Code::kFailedPrecondition:
      return 400;
    case Code::kUnimplemented:
      return 501;
    case Code::kCancelled:
      return 499;
    default:
      return 500;
  }
}

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') i++;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

void Router::add(std::string_view methods, std::string_view pattern, Handler handler) {
  Route r;
  size_t i = 0;
  while (i <= methods.size()) {
    size_t j = methods.find(',', i);
    if (j == std::string_view::npos) j = methods.size();
    r.methods.emplace_back(methods.substr(i, j - i));
    i = j + 1;
  }
  r.segments = split_path(pattern);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

bool Router::match(const Route& r, std::string_view path, std::map<std::string, std::string>* p) {
  auto segs = split_path(path);
  size_t n = r.segments.size();
  for (size_t i = 0; i < n; i++) {
    const std::string& s = r.segments[i];
    if (s[0] == '*') {
      std::string rest;
      for (size_t k = i; k < segs.size(); k++) {
        rest += '/';
        rest += segs[k];
      }
      (*p)[s.substr(1)] = rest;
      return true;
    }
    if (i >= segs.size()) return false;
    if (s[0] == ':') {
      (*p)[s.substr(1)] = segs[i];
    } else if (s != segs[i]) {
      return false;
    }
  }
  return segs.size() == n;
}

HttpResponse Router::dispatch(HttpRequest& req) const {
  std::string allow;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> p;
    if (!match(r, req.path, &p)) continue;
    bool method_ok = false;
    for (const auto& m : r.methods) {
      if (m == "*" || m == req.method || (m == "GET" && req.method == "HEAD")) method_ok = true;
    }
    if (!method_ok) {
      for (const auto& m : r.methods) {
        if (!allow.empty()) allow += ", ";
        allow += m;
      }
      continue;
    }
    req.path_params = std::move(p);
    return r.handler(req);
  }
  if (!allow.empty()) {
    auto resp = HttpResponse::text(
        405, "method " + req.method + " not allowed for " + req.path + " (allowed: " + allow + ")");
    resp.headers.emplace_back("Allow", allow);
    return resp;
  }
  return HttpResponse::text(404, "no such endpoint: " + req.path);
}

std::string url_decode(std::string_view s, bool form) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (c == '+' && form) {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() + 0 && i + 2 <= s.size() - 1 + 0) {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) {
        out += c;
      } else {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    } else {
      out += c;
    }
  }
  return out;
}

void parse_query(std::string_view qs, std::vector<std::pair<std::string, std::string>>* out) {
  size_t i = 0;
  while (i < qs.size()) {
    size_t j = qs.find('&', i);
    if (j == std::string_view::npos) j = qs.size();
    std::string_view kv = qs.substr(i, j - i);
    if (!kv.empty()) {
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) {
        out->emplace_back(url_decode(kv, true), "");
      } else {
        out->emplace_back(url_decode(kv.substr(0, eq), true), url_decode(kv.substr(eq + 1), true));
      }
    }
    i = j + 1;
  }
}

}  // namespace opsight::api
