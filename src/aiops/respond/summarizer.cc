// OpenAI-compatible chat completions client (see summarizer.h for the request and answer).
#include "aiops/respond/summarizer.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdlib>

#include "aiops/respond/text_util.h"
#include "common/json_writer.h"
#include "net/http_client.h"

namespace opsight::aiops::respond {
namespace {

namespace dom = simdjson::dom;

// The error message of an OpenAI-style error answer ({"error": {"message"}}), or the start of
// the body.
std::string error_text(std::string_view body) {
  dom::parser parser;
  std::string_view msg;
  if (!parser.parse(body.data(), body.size()).at_pointer("/error/message").get_string().get(msg)) {
    return utf8_ellipsized(msg, 300);
  }
  return utf8_ellipsized(body, 300);
}

}  // namespace

Status validate_summarizer(const SummarizerConfig& c, std::string_view where) {
  auto bad = [&](std::string_view field, std::string_view rule) {
    return Status::invalid_argument(fmt::format("{}.{} {}", where, field, rule));
  };
  if (c.url.empty()) return OkStatus();  // off
  if (c.url.starts_with("https://")) {
    return bad("url",
               "is https://, which the built-in HTTP client cannot send: point it at a local "
               "TLS-forwarding proxy over http:// (docs/respond.md)");
  }
  if (!c.url.starts_with("http://") || c.url.size() <= 7) {
    return bad("url", fmt::format("must be an http:// URL (…/v1/chat/completions), got \"{}\"",
                                  utf8_capped(c.url, 200)));
  }
  if (c.model.empty()) return bad("model", "is required when url is set");
  if (c.timeout_ms < 1 || c.timeout_ms > 300'000) {
    return bad("timeout_ms", "must be between 1 and 300000");
  }
  if (!c.api_key_env.empty() &&
      c.api_key_env.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789_") != std::string::npos) {
    return bad("api_key_env", "must be the name of an environment variable (A-Z, a-z, 0-9, _)");
  }
  return OkStatus();
}

std::string chat_request_body(const SummarizerConfig& c, std::string_view prompt) {
  json::Writer w(512 + prompt.size());
  w.begin_object();
  w.kv("model", c.model);
  w.key("messages").begin_array();
  w.begin_object().kv("role", "system").kv("content", utf8_capped(c.system_prompt, SIZE_MAX));
  w.end_object();
  w.begin_object().kv("role", "user").kv("content", utf8_capped(prompt, SIZE_MAX)).end_object();
  w.end_array();
  w.kv("temperature", 0);
  w.end_object();
  return w.take();
}

Result<std::string> parse_chat_response(std::string_view body) {
  dom::parser parser;
  dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc)) {
    return Status::invalid_argument("summarizer answer is not JSON");
  }
  dom::array choices;
  if (doc["choices"].get_array().get(choices) || choices.size() == 0) {
    return Status::invalid_argument("summarizer answer has no choices[0]");
  }
  std::string_view content;
  if (choices.at(0).at_pointer("/message/content").get_string().get(content)) {
    return Status::invalid_argument("summarizer answer has no choices[0].message.content string");
  }
  return std::string(content);
}

Summarizer::Summarizer(SummarizerConfig config) : config_(std::move(config)) {}

Result<std::string> Summarizer::summarize(const std::string& prompt) const {
  if (!enabled()) return Status::failed_precondition("the summarizer is not configured");
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"},
                                                              {"Accept", "application/json"}};
  if (!config_.api_key_env.empty()) {
    const char* key = std::getenv(config_.api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      return Status::failed_precondition(fmt::format(
          "summarizer.api_key_env names {}, which is not set in the server's environment",
          config_.api_key_env));
    }
    headers.emplace_back("Authorization", fmt::format("Bearer {}", key));
  }
  net::FetchOptions o;
  o.timeout_ms = config_.timeout_ms;
  o.max_body_bytes = config_.max_response_bytes;
  calls_++;
  ASSIGN_OR_RETURN(
      net::ClientResponse resp,
      net::http_fetch("POST", config_.url, chat_request_body(config_, prompt), headers, o));
  if (resp.status < 200 || resp.status >= 300) {
    return Status::unavailable(
        fmt::format("summarizer answered HTTP {}: {}", resp.status, error_text(resp.body)));
  }
  return parse_chat_response(resp.body);
}

}  // namespace opsight::aiops::respond
