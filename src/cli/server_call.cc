#include "cli/server_call.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>
#include <vector>

#include "net/http_client.h"

namespace opsight::cli {

namespace dom = simdjson::dom;

void fail(const std::string& msg) {
  std::fprintf(stderr, "opsight: %s\n", msg.c_str());
  std::exit(1);
}

std::string call_server(const std::string& method, const std::string& url,
                        const std::string& body) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  auto r = net::http_request(method, url, body, headers);
  if (!r.ok()) fail(r.status().message());
  if (r->status / 100 == 2) return std::move(r->body);
  dom::parser parser;
  dom::element doc;
  std::string_view code, message;
  if (!parser.parse(r->body).get(doc) && !doc["code"].get(code) && !doc["message"].get(message)) {
    fail(std::string(code) + ": " + std::string(message));
  }
  fail("HTTP " + std::to_string(r->status) + ": " + r->body);
}

dom::element parse_answer(dom::parser& parser, const std::string& body) {
  dom::element doc;
  if (parser.parse(body).get(doc)) fail("server answered with invalid JSON: " + body);
  return doc;
}

std::string json_field(dom::element obj, std::string_view key) {
  dom::element v;
  if (obj[key].get(v)) return "";
  std::string_view s;
  if (!v.get(s)) return std::string(s);
  return simdjson::minify(v);
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); i++) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); i++) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); i++) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  line(header);
  for (const auto& row : rows) line(row);
}

std::string format_time_ms(int64_t ms) {
  if (ms == 0) return "-";
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace opsight::cli
