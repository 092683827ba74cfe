// Cross-account CloudWatch Logs (api/aws/logs, logs_cross_account.cc) over the real log store:
// a monitoring account M linked to a source S (HttpRequest::linked_accounts, as the auth gate
// sets it) and an unlinked account U, each request acting for one of them.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/logs_aws_stack.h"
#include "common/clock.h"

namespace opsight::api::aws {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
const std::string kM = "111111111111";
const std::string kS = "222222222222";
const std::string kU = "333333333333";
const std::string kRegion = "us-east-1";

std::string arn(const std::string& account, const std::string& group) {
  return "arn:aws:logs:" + kRegion + ":" + account + ":log-group:" + group;
}

struct Reply {
  int status = 0;
  std::string body;
  std::string error_type;
  simdjson::dom::element json;
};

class LogsAwsCrossAccountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(stack_.open(dir_, &clock_));

    for (const auto& [account, group] :
         {std::pair{kM, "/m/app"}, std::pair{kS, "/s/app"}, std::pair{kU, "/u/app"}}) {
      ok(account, "CreateLogGroup", R"({"logGroupName":")" + std::string(group) + R"("})");
      ok(account, "CreateLogStream",
         R"({"logGroupName":")" + std::string(group) + R"(","logStreamName":"w"})");
    }
    put(kM, "/m/app", {{kNow - 4000, "m1"}, {kNow - 2000, "m2"}});
    put(kS, "/s/app", {{kNow - 3000, "s1"}, {kNow - 1000, "s2"}, {kNow - 500, "s3"}});
    put(kU, "/u/app", {{kNow - 3000, "u1"}});
  }

  void TearDown() override { stack_.close(); }

  Reply call(const std::string& account, std::string_view op, std::string body) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/";
    req.body = std::move(body);
    req.account = account;
    req.region = kRegion;
    if (account == kM) req.linked_accounts = {kS};
    req.headers.emplace_back("content-type", "application/x-amz-json-1.1");
    req.headers.emplace_back("x-amz-target", "Logs_20140328." + std::string(op));
    HttpResponse r = handle_logs_request(stack_.deps, req, op);
    Reply out;
    out.status = r.status;
    out.body = r.body;
    for (const auto& [k, v] : r.headers) {
      if (k == "x-amzn-ErrorType") out.error_type = v;
    }
    parsers_.push_back(std::make_unique<simdjson::dom::parser>());
    EXPECT_EQ(parsers_.back()->parse(out.body).get(out.json), simdjson::SUCCESS) << out.body;
    return out;
  }

  Reply ok(const std::string& account, std::string_view op, std::string body) {
    Reply r = call(account, op, std::move(body));
    EXPECT_EQ(r.status, 200) << op << ": " << r.body;
    return r;
  }

  void put(const std::string& account, const std::string& group,
           const std::vector<std::pair<int64_t, std::string>>& events) {
    std::string body = R"({"logGroupName":")" + group + R"(","logStreamName":"w","logEvents":[)";
    for (size_t i = 0; i < events.size(); i++) {
      if (i) body += ",";
      body += R"({"timestamp":)" + std::to_string(events[i].first) + R"(,"message":")" +
              events[i].second + "\"}";
    }
    body += "]}";
    ok(account, "PutLogEvents", body);
  }

  // Runs a query as `account` over `identifiers` (a JSON array); the rows as field -> value.
  std::vector<std::map<std::string, std::string>> query(const std::string& account,
                                                        const std::string& identifiers,
                                                        const std::string& text) {
    Reply started = ok(account, "StartQuery",
                       R"({"logGroupIdentifiers":)" + identifiers + R"(,"startTime":)" +
                           std::to_string((kNow - 3'600'000) / 1000) + R"(,"endTime":)" +
                           std::to_string(kNow / 1000) + R"(,"queryString":")" + text + "\"}");
    std::string_view id;
    EXPECT_EQ(started.json["queryId"].get(id), simdjson::SUCCESS);
    EXPECT_TRUE(
        stack_.queries->wait(storage::Tenant{account, kRegion}, std::string(id), 60'000).ok());
    Reply results = ok(account, "GetQueryResults", R"({"queryId":")" + std::string(id) + "\"}");
    std::vector<std::map<std::string, std::string>> rows;
    for (auto row : results.json["results"].get_array()) {
      auto& r = rows.emplace_back();
      for (auto cell : row.get_array()) {
        r[std::string(cell["field"].get_string().value())] =
            std::string(cell["value"].get_string().value());
      }
    }
    return rows;
  }

  std::vector<std::string> listed_arns(const std::string& account, const std::string& body) {
    Reply r = ok(account, "DescribeLogGroups", body);
    std::vector<std::string> out;
    for (auto g : r.json["logGroups"].get_array()) {
      out.emplace_back(g["logGroupArn"].get_string().value());
    }
    return out;
  }

  testing::TempDir dir_{"logs_aws_cross_account"};
  ManualClock clock_{kNow};
  LogsAwsStack stack_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
};

TEST_F(LogsAwsCrossAccountTest, QueryOverLinkedSourceNamesTheAccount) {
  auto rows = query(kM, "[\"" + arn(kS, "/s/app") + "\"]",
                    "fields @message, @aws.account, @aws.region, @log");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["@message"], "s3");
  for (auto& r : rows) {
    EXPECT_EQ(r["@aws.account"], kS);
    EXPECT_EQ(r["@aws.region"], kRegion);
    EXPECT_EQ(r["@log"], kS + ":/s/app");
  }
}

TEST_F(LogsAwsCrossAccountTest, StatsByAccountOverOwnAndLinkedGroups) {
  auto rows = query(kM, "[\"/m/app\",\"" + arn(kS, "/s/app") + "\"]",
                    "stats count(*) as n by @aws.account");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["@aws.account"], kM);
  EXPECT_EQ(rows[0]["n"], "2");
  EXPECT_EQ(rows[1]["@aws.account"], kS);
  EXPECT_EQ(rows[1]["n"], "3");
}

TEST_F(LogsAwsCrossAccountTest, OwnGroupsOnlyStaySingleAccount) {
  auto rows = query(kM, "[\"" + arn(kM, "/m/app") + "\"]", "fields @log, @aws.account");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["@log"], "/m/app");
  EXPECT_EQ(rows[0].count("@aws.account"), 0u);
}

TEST_F(LogsAwsCrossAccountTest, UnlinkedAccountsAreRefusedAlike) {
  const std::string range = R"(,"startTime":0,"endTime":)" + std::to_string(kNow / 1000) +
                            R"(,"queryString":"fields @message"})";
  std::vector<std::string> bodies;
  // U is not linked to S; S is a source, not M's monitoring account; M is not linked to U.
  for (const auto& [who, target] :
       {std::pair{kU, arn(kS, "/s/app")}, std::pair{kU, arn(kS, "/nope")},
        std::pair{kS, arn(kM, "/m/app")}, std::pair{kM, arn(kU, "/u/app")}}) {
    Reply r = call(who, "StartQuery", R"({"logGroupIdentifiers":[")" + target + "\"]" + range);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error_type, "ResourceNotFoundException") << who << " " << target;
    bodies.push_back(std::string(r.json["message"].get_string().value()));
    Reply f = call(who, "FilterLogEvents", R"({"logGroupIdentifier":")" + target + "\"}");
    EXPECT_EQ(f.error_type, "ResourceNotFoundException") << who << " " << target;
  }
  for (const auto& b : bodies) EXPECT_EQ(b, bodies[0]);
  // A missing group of a linked source is plainly not found.
  Reply r =
      call(kM, "StartQuery", R"({"logGroupIdentifiers":[")" + arn(kS, "/nope") + "\"]" + range);
  EXPECT_EQ(r.error_type, "ResourceNotFoundException");
}

TEST_F(LogsAwsCrossAccountTest, DescribeLogGroupsIncludesLinkedAccounts) {
  EXPECT_EQ(listed_arns(kM, "{}"), std::vector<std::string>{arn(kM, "/m/app")});
  EXPECT_EQ(listed_arns(kM, R"({"includeLinkedAccounts":true})"),
            (std::vector<std::string>{arn(kM, "/m/app"), arn(kS, "/s/app")}));
  EXPECT_EQ(listed_arns(kM, R"({"includeLinkedAccounts":true,"accountIdentifiers":[")" + kS +
                                "\",\"" + kU + "\"]}"),
            std::vector<std::string>{arn(kS, "/s/app")});
  EXPECT_EQ(listed_arns(kS, R"({"includeLinkedAccounts":true})"),
            std::vector<std::string>{arn(kS, "/s/app")});
  EXPECT_EQ(call(kM, "DescribeLogGroups", R"({"accountIdentifiers":[")" + kS + "\"]}").error_type,
            "InvalidParameterException");
}

TEST_F(LogsAwsCrossAccountTest, FilterAndGetLogEventsOfLinkedSource) {
  Reply f = ok(kM, "FilterLogEvents", R"({"logGroupIdentifier":")" + arn(kS, "/s/app") + "\"}");
  ASSERT_EQ(f.json["events"].get_array().size(), 3u);
  EXPECT_EQ(std::string(f.json["events"].at(0)["message"].get_string().value()), "s1");
  Reply g = ok(kM, "GetLogEvents",
               R"({"logGroupIdentifier":")" + arn(kS, "/s/app") +
                   R"(","logStreamName":"w","startFromHead":true})");
  ASSERT_EQ(g.json["events"].get_array().size(), 3u);
  Reply streams =
      ok(kM, "DescribeLogStreams", R"({"logGroupIdentifier":")" + arn(kS, "/s/app") + "\"}");
  ASSERT_EQ(streams.json["logStreams"].get_array().size(), 1u);
}

}  // namespace
}  // namespace opsight::api::aws
