// The optional summariser against a loopback fake of an OpenAI-compatible chat completions
// endpoint; off means no call at all.
#include "aiops/respond/summarizer.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include "testing/loopback_http.h"

namespace opsight::aiops::respond {
namespace {

using opsight::testing::LoopbackHttp;

constexpr std::string_view kAnswer = R"({"id":"chatcmpl-1","object":"chat.completion",
  "created":1700000000,"model":"local-model","choices":[{"index":0,"message":{"role":"assistant",
  "content":"payment is the root cause: its latency rose 8x after the v2.3.1 deploy."},
  "finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":12,"total_tokens":22}})";

TEST(SummarizerTest, PostsTheChatShapeAndReturnsTheContent) {
  LoopbackHttp server({{200, std::string(kAnswer)}});
  ASSERT_EQ(::setenv("OPSIGHT_TEST_SUMMARIZER_KEY", "sk-test", 1), 0);
  SummarizerConfig c;
  c.url = server.url("/v1/chat/completions");
  c.model = "local-model";
  c.api_key_env = "OPSIGHT_TEST_SUMMARIZER_KEY";
  ASSERT_TRUE(validate_summarizer(c, "summarizer").ok());
  Summarizer s(c);
  EXPECT_TRUE(s.enabled());
  auto r = s.summarize("1. payment latency (score 0.92)");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, "payment is the root cause: its latency rose 8x after the v2.3.1 deploy.");
  EXPECT_EQ(s.calls(), 1u);

  ASSERT_EQ(server.requests().size(), 1u);
  const auto req = server.requests()[0];
  EXPECT_EQ(req.line(), "POST /v1/chat/completions HTTP/1.1");
  EXPECT_EQ(req.header("Authorization"), "Bearer sk-test");
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  simdjson::dom::parser p;
  simdjson::dom::element d = p.parse(req.body).value();
  EXPECT_EQ(std::string_view(d["model"].get_string().value()), "local-model");
  EXPECT_EQ(d["temperature"].get_int64().value(), 0);
  simdjson::dom::array messages = d["messages"].get_array().value();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(std::string_view(messages.at(0)["role"].get_string().value()), "system");
  EXPECT_EQ(std::string_view(messages.at(1)["role"].get_string().value()), "user");
  EXPECT_EQ(std::string_view(messages.at(1)["content"].get_string().value()),
            "1. payment latency (score 0.92)");
}

TEST(SummarizerTest, OffMeansNoCall) {
  LoopbackHttp server;
  SummarizerConfig c;  // url empty
  c.model = "m";
  ASSERT_TRUE(validate_summarizer(c, "summarizer").ok());
  Summarizer s(c);
  EXPECT_FALSE(s.enabled());
  auto r = s.summarize("anything");
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.calls(), 0u);
  EXPECT_TRUE(server.requests().empty());
}

TEST(SummarizerTest, ErrorsAreValues) {
  LoopbackHttp server(
      {{401, R"({"error":{"message":"Incorrect API key provided"}})"}, {200, R"({"choices":[]})"}});
  SummarizerConfig c;
  c.url = server.url("/v1/chat/completions");
  c.model = "m";
  Summarizer s(c);
  auto denied = s.summarize("x");
  EXPECT_EQ(denied.status().code(), Code::kUnavailable);
  EXPECT_NE(denied.status().message().find("HTTP 401: Incorrect API key provided"),
            std::string::npos)
      << denied.status().message();
  auto empty = s.summarize("x");
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);

  SummarizerConfig missing_key = c;
  missing_key.api_key_env = "OPSIGHT_TEST_UNSET_VARIABLE_42";
  ::unsetenv("OPSIGHT_TEST_UNSET_VARIABLE_42");
  auto no_key = Summarizer(missing_key).summarize("x");
  EXPECT_EQ(no_key.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(no_key.status().message().find("OPSIGHT_TEST_UNSET_VARIABLE_42"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 2u);  // the missing key made no request
}

TEST(SummarizerTest, Validation) {
  SummarizerConfig c;
  c.url = "https://api.openai.com/v1/chat/completions";
  c.model = "m";
  EXPECT_NE(validate_summarizer(c, "summarizer").message().find("summarizer.url"),
            std::string::npos);
  c.url = "http://127.0.0.1:8000/v1/chat/completions";
  c.model = "";
  EXPECT_NE(validate_summarizer(c, "summarizer").message().find("summarizer.model"),
            std::string::npos);
  c.model = "m";
  c.api_key_env = "$KEY";
  EXPECT_EQ(validate_summarizer(c, "summarizer").code(), Code::kInvalidArgument);
}

TEST(SummarizerTest, ParsesAnswers) {
  EXPECT_EQ(*parse_chat_response(kAnswer),
            "payment is the root cause: its latency rose 8x after the v2.3.1 deploy.");
  EXPECT_FALSE(parse_chat_response("not json").ok());
  EXPECT_FALSE(parse_chat_response(R"({"choices":[{"message":{}}]})").ok());
}

}  // namespace
}  // namespace opsight::aiops::respond
