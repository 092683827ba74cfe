#include "api/prom/push_api.h"

#include <fmt/format.h>

#include "api/api_util.h"
#include "ingest/prometheus/text_format.h"

namespace opsight::api {
namespace {

// base64 (RFC 4648): the URL-safe alphabet of section 5 and the standard one, padding optional.
Result<std::string> base64_decode(std::string_view s, std::string_view what) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-' || c == '+') {
      v = 62;
    } else if (c == '_' || c == '/') {
      v = 63;
    } else {
      return Status::invalid_argument(
          fmt::format("{}: invalid base64 character '{}' (RFC 4648 URL-safe alphabet)", what, c));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return Status::invalid_argument(std::string(what) + ": truncated base64");
  return out;
}

bool valid_name(std::string_view s) {
  return ingest::valid_label_name(s) && !s.starts_with("__");
}

HttpResponse error_response(int code, const Status& st, const std::vector<ingest::ItemError>& e) {
  std::string body = st.message() + "\n";
  size_t n = std::min<size_t>(e.size(), 50);
  for (size_t i = 0; i < n; i++) body += e[i].item + ": " + e[i].message + "\n";
  if (e.size() > n) body += fmt::format("... and {} more\n", e.size() - n);
  return HttpResponse::text(code, std::move(body));
}

HttpResponse handle(HttpRequest& req, collect::PushRegistry* registry,
                    const ingest::Limits& limits) {
  std::string_view raw = req.target;
  raw = raw.substr(0, raw.find('?'));
  if (!raw.starts_with("/metrics/")) {
    return HttpResponse::text(404, "push URLs look like /metrics/job/<job>{/<label>/<value>}");
  }
  auto grouping = parse_push_grouping(raw.substr(9));
  if (!grouping.ok()) return HttpResponse::text(400, grouping.status().message());
  if (req.method == "DELETE") {
    Status st = registry->remove(*grouping);
    if (!st.ok()) return HttpResponse::text(http_status_for(st.code()), st.message());
    return HttpResponse{202, "", {}, ""};
  }
  std::string_view ct = req.header("content-type").value_or("");
  if (ingest::prometheus::is_protobuf_exposition(ct)) {
    return HttpResponse::text(415,
                              "protobuf push bodies are not supported: send the text format "
                              "(Content-Type: text/plain; version=0.0.4)");
  }
  auto body = decoded_body(req, limits.max_request_bytes, limits.max_decoded_bytes,
                           "limits.max_request_bytes");
  if (!body.ok()) {
    return HttpResponse::text(http_status_for(body.status().code()), body.status().message());
  }
  std::vector<ingest::ItemError> errors;
  Status st = registry->push(
      req.method == "PUT" ? collect::PushMethod::kPut : collect::PushMethod::kPost, *grouping,
      *body, ingest::prometheus::text_format_for_content_type(ct), &errors);
  if (!st.ok()) return error_response(http_status_for(st.code()), st, errors);
  return HttpResponse{200, "", {}, ""};
}

}  // namespace

Result<Labels> parse_push_grouping(std::string_view raw_path) {
  std::vector<std::string_view> segs;
  size_t i = 0;
  while (i <= raw_path.size()) {
    size_t j = raw_path.find('/', i);
    if (j == std::string_view::npos) j = raw_path.size();
    segs.push_back(raw_path.substr(i, j - i));
    i = j + 1;
  }
  while (!segs.empty() && segs.back().empty()) segs.pop_back();  // a trailing slash
  if (segs.empty() || (segs[0] != "job" && segs[0] != "job@base64")) {
    return Status::invalid_argument(
        "push URL must start with /metrics/job/<job> (or /metrics/job@base64/<base64 job>)");
  }
  if (segs.size() % 2 != 0) {
    return Status::invalid_argument(
        fmt::format("push URL: label {} has no value (segments come in /<label>/<value> pairs)",
                    url_decode(segs.back(), false)));
  }
  std::vector<Label> labels;
  for (size_t k = 0; k < segs.size(); k += 2) {
    std::string name = url_decode(segs[k], false);
    bool b64 = name.ends_with("@base64");
    if (b64) name.resize(name.size() - 7);
    if (!valid_name(name)) {
      return Status::invalid_argument(fmt::format(
          "push URL: \"{}\" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting "
          "with __)",
          name));
    }
    std::string value;
    if (b64) {
      ASSIGN_OR_RETURN(value, base64_decode(segs[k + 1], "push URL: value of " + name));
    } else {
      value = url_decode(segs[k + 1], false);
    }
    for (const auto& l : labels) {
      if (l.name == name) {
        return Status::invalid_argument("push URL: label " + name + " appears twice");
      }
    }
    labels.push_back({std::move(name), std::move(value)});
  }
  if (labels[0].value.empty()) return Status::invalid_argument("push URL: the job name is empty");
  return Labels(std::move(labels));
}

void register_push_api(Router& router, collect::PushRegistry* registry,
                       const ingest::Limits& limits) {
  router.add("PUT,POST,DELETE", "/metrics/*rest",
             [=](HttpRequest& r) { return handle(r, registry, limits); });
}

}  // namespace opsight::api
