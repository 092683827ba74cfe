#pragma once
// The optional summariser: an OpenAI-compatible chat completions endpoint (OpenAI API
// reference, "Create chat completion", POST /v1/chat/completions; served the same way by
// vLLM, llama.cpp's server, Ollama and LocalAI) that turns an investigation's hypotheses into
// a few sentences. Off by default; hypotheses never depend on it.
//
//   request:  {"model": <model>, "messages": [{"role": "system", "content": <system>},
//              {"role": "user", "content": <prompt>}], "temperature": 0}
//             Authorization: Bearer <value of the env var api_key_env> when api_key_env is set
//   answer:   choices[0].message.content (a string)
//
// When the url is empty nothing is ever sent: summarize() answers FailedPrecondition at once.
// The built-in HTTP client speaks http:// only: an https endpoint needs a local TLS-forwarding
// proxy (docs/respond.md).
//
// Thread safety: Summarizer is immutable after construction; summarize() is thread-safe and
// blocks up to timeout_ms.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::aiops::respond {

inline constexpr std::string_view kDefaultSummarizerSystemPrompt =
    "You are an SRE assistant. Summarise the incident analysis you are given in at most four "
    "sentences for an on-call engineer: the most likely root cause, the evidence for it, and "
    "what to check first. Do not invent facts that are not in the analysis.";

struct SummarizerConfig {
  std::string url;  // http://host:port/v1/chat/completions; "" = off
  std::string model;
  std::string api_key_env;      // name of the environment variable holding the API key; "" = none
  int64_t timeout_ms = 30'000;  // 1..300000
  std::string system_prompt{kDefaultSummarizerSystemPrompt};
  uint64_t max_response_bytes = 1 << 20;
  bool operator==(const SummarizerConfig&) const = default;
};

// InvalidArgument naming `where` (e.g. "summarizer"), the field and the rule. An empty url is
// valid (off); otherwise url must be http:// and model non-empty.
Status validate_summarizer(const SummarizerConfig& config, std::string_view where);

// The request body (exposed for tests).
std::string chat_request_body(const SummarizerConfig& config, std::string_view prompt);
// choices[0].message.content of an answer; InvalidArgument naming what is missing.
Result<std::string> parse_chat_response(std::string_view body);

class Summarizer {
 public:
  explicit Summarizer(SummarizerConfig config);

  bool enabled() const { return !config_.url.empty(); }
  // FailedPrecondition when off (no call), or when api_key_env names an unset variable;
  // Unavailable / DeadlineExceeded when the endpoint cannot be reached in time; Unavailable
  // "summarizer answered HTTP <n>: <start of body>" for a non-2xx answer; InvalidArgument for
  // an answer without choices[0].message.content.
  Result<std::string> summarize(const std::string& prompt) const;
  // Requests sent (for tests and /metrics).
  uint64_t calls() const { return calls_.load(); }

 private:
  SummarizerConfig config_;
  mutable std::atomic<uint64_t> calls_{0};
};

}  // namespace opsight::aiops::respond
