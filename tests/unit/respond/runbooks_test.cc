// Runbooks: real processes (/bin/echo, /bin/sleep, /usr/bin/seq, /usr/bin/env) and an HTTP
// runbook against a loopback server; allow-list refusal, timeouts, capped output, the clean
// environment, template expansion and the audit event.
#include "aiops/respond/runbooks.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "testing/loopback_http.h"

namespace opsight::aiops::respond {
namespace {

using opsight::testing::LoopbackHttp;

constexpr int64_t kT0 = 1'700'000'040'000;

Runbook command(std::string name, std::vector<std::string> argv, int64_t timeout_ms = 10'000) {
  Runbook rb;
  rb.name = std::move(name);
  rb.type = RunbookType::kCommand;
  rb.argv = std::move(argv);
  rb.timeout_ms = timeout_ms;
  return rb;
}

RunbookContext context() {
  RunbookContext c;
  c.tenant = {"123456789012", "eu-west-1"};
  c.incident_id = "inc-0000000000b1";
  c.incident_title = "payment: \"errors\" 12%";
  c.services = {"checkout", "payment"};
  c.actor = "test";
  return c;
}

class RunbookRunnerTest : public ::testing::Test {
 protected:
  RunbookRunner runner(std::vector<Runbook> runbooks) {
    for (size_t i = 0; i < runbooks.size(); i++) {
      Status st = validate_runbook(runbooks[i], "runbooks[" + std::to_string(i) + "]");
      EXPECT_TRUE(st.ok()) << st.to_string();
    }
    RunbookRunnerOptions o;
    o.clock = &clock_;
    o.audit = [this](const events::Event& e) { audits_.push_back(e); };
    return RunbookRunner(std::move(runbooks), o);
  }

  ManualClock clock_{kT0};
  std::vector<events::Event> audits_;
};

TEST_F(RunbookRunnerTest, CapturesCommandOutput) {
  RunbookRunner r = runner({command("hello", {"/bin/echo", "hello", "world"})});
  auto res = r.run("hello", context());
  ASSERT_TRUE(res.ok()) << res.status().to_string();
  EXPECT_TRUE(res->ok);
  EXPECT_EQ(res->exit_code, 0);
  EXPECT_EQ(res->output, "hello world\n");
  EXPECT_FALSE(res->timed_out);
  EXPECT_FALSE(res->truncated);
  EXPECT_EQ(res->started_ms, kT0);
  EXPECT_TRUE(res->error.empty());

  ASSERT_EQ(audits_.size(), 1u);
  const events::Event& e = audits_[0];
  EXPECT_EQ(e.source, "opsight.runbooks");
  EXPECT_EQ(e.detail_type, "Runbook Run");
  EXPECT_EQ(e.tenant.account, "123456789012");
  EXPECT_EQ(e.resources, (std::vector<std::string>{"runbook/hello", "incident/inc-0000000000b1"}));
  EXPECT_FALSE(e.id.empty());
  simdjson::dom::parser p;
  simdjson::dom::element d = p.parse(e.detail_json).value();
  EXPECT_EQ(std::string_view(d["runbook"].get_string().value()), "hello");
  EXPECT_TRUE(d["ok"].get_bool().value());
  EXPECT_EQ(d["exitCode"].get_int64().value(), 0);
  EXPECT_EQ(std::string_view(d["incidentId"].get_string().value()), "inc-0000000000b1");
  EXPECT_EQ(std::string_view(d["actor"].get_string().value()), "test");
  EXPECT_EQ(std::string_view(d["output"].get_string().value()), "hello world\n");
}

TEST_F(RunbookRunnerTest, NonZeroExitAndMissingCommand) {
  RunbookRunner r = runner({command("fail", {"false"}),  // found in the runbook PATH
                            command("missing", {"no-such-command-opsight"})});
  auto res = r.run("fail", context());
  ASSERT_TRUE(res.ok());
  EXPECT_FALSE(res->ok);
  EXPECT_EQ(res->exit_code, 1);
  EXPECT_EQ(res->error, "exit code 1");
  auto missing = r.run("missing", context());
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->ok);
  EXPECT_NE(missing->error.find("not found"), std::string::npos);
  EXPECT_EQ(audits_.size(), 2u);  // both runs audited
}

TEST_F(RunbookRunnerTest, TimeoutKillsTheProcessGroup) {
  RunbookRunner r = runner({command("stuck", {"/bin/sleep", "30"}, 200)});
  auto res = r.run("stuck", context());
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->timed_out);
  EXPECT_FALSE(res->ok);
  EXPECT_EQ(res->exit_code, 128 + 9);   // SIGKILL
  EXPECT_LT(res->duration_ms, 30'000);  // it did not run to the end
  EXPECT_NE(res->error.find("timed out after 200 ms"), std::string::npos);
  ASSERT_EQ(audits_.size(), 1u);
}

TEST_F(RunbookRunnerTest, BackgroundChildDoesNotHoldTheRunOpen) {
  // The command exits at once but leaves a child that keeps the output pipe open: the run ends
  // when the command exits, not when the pipe closes (or at the timeout).
  RunbookRunner r = runner({command("detach", {"/bin/sh", "-c", "sleep 30 & echo $!"}, 60'000)});
  auto res = r.run("detach", context());
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->ok) << res->error;
  EXPECT_FALSE(res->timed_out);
  const int child = std::atoi(res->output.c_str());
  ASSERT_GT(child, 0) << res->output;
  ::kill(child, SIGKILL);
}

TEST_F(RunbookRunnerTest, UnknownRunbookIsRefused) {
  RunbookRunner r = runner({command("hello", {"/bin/echo", "hi"})});
  auto res = r.run("rm-everything", context());
  EXPECT_EQ(res.status().code(), Code::kNotFound);
  EXPECT_NE(res.status().message().find("rm-everything"), std::string::npos);
  EXPECT_TRUE(audits_.empty());  // nothing ran
}

TEST_F(RunbookRunnerTest, OutputIsCapped) {
  Runbook rb = command("long", {"/usr/bin/seq", "1", "200000"});
  rb.max_output_bytes = 1000;
  RunbookRunner r = runner({rb});
  auto res = r.run("long", context());
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->ok);  // read to the end (no SIGPIPE), only the first 1000 bytes kept
  EXPECT_TRUE(res->truncated);
  EXPECT_EQ(res->output.size(), 1000u);
  EXPECT_TRUE(res->output.starts_with("1\n2\n3\n"));
}

TEST_F(RunbookRunnerTest, CleanEnvironmentWithIncidentVariables) {
  ASSERT_EQ(::setenv("OPSIGHT_TEST_SECRET", "do-not-leak", 1), 0);
  RunbookRunner r = runner({command("env", {"/usr/bin/env"})});
  auto res = r.run("env", context());
  ASSERT_TRUE(res.ok());
  EXPECT_NE(res->output.find("OPSIGHT_INCIDENT_ID=inc-0000000000b1\n"), std::string::npos);
  EXPECT_NE(res->output.find("OPSIGHT_INCIDENT_SERVICES=checkout,payment\n"), std::string::npos);
  EXPECT_NE(res->output.find("OPSIGHT_RUNBOOK=env\n"), std::string::npos);
  EXPECT_EQ(res->output.find("do-not-leak"), std::string::npos);
}

TEST_F(RunbookRunnerTest, HttpRunbookAgainstLoopback) {
  LoopbackHttp server({{200, R"({"restarted":true})"}, {503, "busy"}});
  Runbook rb;
  rb.name = "restart";
  rb.type = RunbookType::kHttp;
  rb.url = server.url("/restart");
  rb.body =
      R"({"incident":"{{incident.id}}","title":"{{ incident.title }}","svc":"{{incident.services}}"})";
  rb.headers = {{"Authorization", "Bearer t"}};
  RunbookRunner r = runner({rb});
  auto res = r.run("restart", context());
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->ok) << res->error;
  EXPECT_EQ(res->http_status, 200);
  EXPECT_EQ(res->output, R"({"restarted":true})");
  ASSERT_EQ(server.requests().size(), 1u);
  const auto req = server.requests()[0];
  EXPECT_EQ(req.line(), "POST /restart HTTP/1.1");
  EXPECT_EQ(req.header("Authorization"), "Bearer t");
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  EXPECT_EQ(
      req.body,
      R"({"incident":"inc-0000000000b1","title":"payment: \"errors\" 12%","svc":"checkout,payment"})");

  auto busy = r.run("restart", context());
  ASSERT_TRUE(busy.ok());
  EXPECT_FALSE(busy->ok);
  EXPECT_EQ(busy->http_status, 503);
  EXPECT_EQ(busy->error, "HTTP status 503");
  EXPECT_EQ(audits_.size(), 2u);
}

TEST(RunbookValidationTest, NamesTheFieldAndRule) {
  Runbook ok = command("x", {"/bin/true"});
  EXPECT_TRUE(validate_runbook(ok, "runbooks[0]").ok());
  Runbook slow = ok;
  slow.timeout_ms = 6 * 60'000;
  EXPECT_NE(validate_runbook(slow, "runbooks[0]").message().find("runbooks[0].timeout_ms"),
            std::string::npos);
  Runbook empty = ok;
  empty.argv.clear();
  EXPECT_NE(validate_runbook(empty, "runbooks[1]").message().find("runbooks[1].argv"),
            std::string::npos);
  Runbook http;
  http.name = "h";
  http.type = RunbookType::kHttp;
  http.url = "http://127.0.0.1:1/x";
  http.body = "{{incident.owner}}";
  Status st = validate_runbook(http, "runbooks[2]");
  EXPECT_NE(st.message().find("incident.owner"), std::string::npos) << st.message();
  http.body = "";
  http.method = "TRACE";
  EXPECT_NE(validate_runbook(http, "r").message().find("method"), std::string::npos);
  http.method = "POST";
  http.url = "https://example.com/";
  EXPECT_NE(validate_runbook(http, "r").message().find("proxy"), std::string::npos);
  Runbook bad_name = ok;
  bad_name.name = "a b";
  EXPECT_EQ(validate_runbook(bad_name, "r").code(), Code::kInvalidArgument);
}

TEST(RunbookTemplateTest, ExpandsKnownPlaceholders) {
  const RunbookContext c = context();
  EXPECT_EQ(expand_runbook_template("id={{incident.id}} {{tenant.region}}", c, false),
            "id=inc-0000000000b1 eu-west-1");
  EXPECT_EQ(expand_runbook_template("{{incident.title}}", c, false), "payment: \"errors\" 12%");
  EXPECT_EQ(expand_runbook_template("{{incident.title}}", c, true), "payment: \\\"errors\\\" 12%");
  EXPECT_EQ(expand_runbook_template("{{nope}} {{", c, false), "{{nope}} {{");
}

}  // namespace
}  // namespace opsight::aiops::respond
