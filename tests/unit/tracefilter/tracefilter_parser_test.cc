// Lexer and parser of X-Ray filter expressions: accepted forms (rendered back as a canonical
// S-expression) and errors with their column and rule. Adding a case is adding a line.
#include <gtest/gtest.h>

#include <string>

#include "query/tracefilter/lexer.h"
#include "query/tracefilter/parser.h"

namespace opsight::query::tracefilter {
namespace {

std::string op_name(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "=";
    case CmpOp::kNe:
      return "!=";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
    case CmpOp::kContains:
      return "contains";
    case CmpOp::kBeginsWith:
      return "beginswith";
    case CmpOp::kEndsWith:
      return "endswith";
    case CmpOp::kExists:
      return "exists";
  }
  return "?";
}

std::string ref(const NodeRef& r) {
  return "[" + r.name + (r.type.empty() ? "" : ":" + r.type) + "]";
}

// A canonical rendering of the tree.
std::string render(const Node& n) {
  static const char* kBool[] = {"ok", "error", "throttle", "fault", "partial"};
  static const char* kNum[] = {"responsetime", "duration", "http.status"};
  static const char* kStr[] = {"http.url",      "http.method", "http.useragent",
                               "http.clientip", "user",        "name"};
  auto sub = [&]() { return n.children.empty() ? "" : " {" + render(*n.children[0]) + "}"; };
  switch (n.kind) {
    case NodeKind::kAnd:
      return "(and " + render(*n.children[0]) + " " + render(*n.children[1]) + ")";
    case NodeKind::kOr:
      return "(or " + render(*n.children[0]) + " " + render(*n.children[1]) + ")";
    case NodeKind::kNot:
      return "(not " + render(*n.children[0]) + ")";
    case NodeKind::kBool:
      return std::string(kBool[static_cast<int>(n.bool_key)]) + (n.flag ? "" : "=false");
    case NodeKind::kNumber:
      return std::string(kNum[static_cast<int>(n.num_key)]) + op_name(n.op) + n.text;
    case NodeKind::kString:
      return std::string(kStr[static_cast<int>(n.str_key)]) + " " + op_name(n.op) + " '" + n.text +
             "'";
    case NodeKind::kAnnotation:
      return "annotation[" + n.annotation_key + "] " + op_name(n.op) +
             (n.op == CmpOp::kExists ? "" : " " + n.text);
    case NodeKind::kService:
      return "service" + ref(n.a) + sub();
    case NodeKind::kEdge:
      return "edge" + ref(n.a) + ref(n.b) + sub();
  }
  return "?";
}

struct ParseCase {
  const char* input;
  const char* want;
};

constexpr ParseCase kAccepted[] = {
    {"responsetime > 5", "responsetime>5"},
    {"duration >= 5 AND duration <= 8", "(and duration>=5 duration<=8)"},
    {"http.status = 500", "http.status=500"},
    {"http.url CONTAINS \"/api/\"", "http.url contains '/api/'"},
    {"http.url beginswith 'http://a/' and http.url endsWith \"/v2\"",
     "(and http.url beginswith 'http://a/' http.url endswith '/v2')"},
    {"fault", "fault"},
    {"!ok", "(not ok)"},
    {"not error", "(not error)"},
    {"fault = false", "fault=false"},
    {"fault != true", "fault=false"},
    {"throttle = TRUE", "throttle"},
    {"ok !partial duration < 3", "(and (and ok (not partial)) duration<3)"},
    {"annotation.account = \"12345\"", "annotation[account] = 12345"},
    {"annotation[my key] = 5", "annotation[my key] = 5"},
    {"annotation[\"x]y\"] = true", "annotation[x]y] = true"},
    {"annotation.http.route", "annotation[http.route] exists"},
    {"annotation.n >= -2.5", "annotation[n] >= -2.5"},
    {"annotation.s contains \"x\"", "annotation[s] contains x"},
    {"service(\"api\")", "service[api]"},
    {"service()", "service[]"},
    {"!service(\"api.example.com\")", "(not service[api.example.com])"},
    {"service(\"api\") { fault = true OR responsetime > 2.5 } AND annotation.account = \"1\"",
     "(and service[api] {(or fault responsetime>2.5)} annotation[account] = 1)"},
    {"edge(\"a\", \"b\") { fault }", "edge[a][b] {fault}"},
    {"edge(\"a\", id(name: \"orders\", type: \"database\"))", "edge[a][orders:database]"},
    {"service(id(type: \"queue\"))", "service[:queue]"},
    {"id(name: \"db\", type: \"database\") { error }", "service[db:database] {error}"},
    {"fault or error and throttle", "(or fault (and error throttle))"},
    {"(fault or error) and throttle", "(and (or fault error) throttle)"},
    {"fault && !error || ok", "(or (and fault (not error)) ok)"},
    {"user = \"alice\"", "user = 'alice'"},
    {"name = \"GET /cart\"", "name = 'GET /cart'"},
    {"http.method != \"GET\" http.clientip = '10.0.0.1'",
     "(and http.method != 'GET' http.clientip = '10.0.0.1')"},
    {"http.useragent contains \"curl\"", "http.useragent contains 'curl'"},
    {"responsetime > 1e-3", "responsetime>1e-3"},
    {"  RESPONSETIME>2  ", "responsetime>2"},
};

TEST(TraceFilterParser, Accepted) {
  for (const ParseCase& c : kAccepted) {
    auto f = parse_filter(c.input);
    ASSERT_TRUE(f.ok()) << c.input << ": " << f.status().message();
    ASSERT_NE(f->root, nullptr) << c.input;
    EXPECT_EQ(render(*f->root), c.want) << c.input;
  }
}

TEST(TraceFilterParser, EmptyMatchesEverything) {
  for (const char* s : {"", "   ", "\n\t"}) {
    auto f = parse_filter(s);
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_EQ(f->root, nullptr);
  }
}

struct ErrorCase {
  const char* input;
  const char* want;  // a substring of the message, including the column
};

constexpr ErrorCase kErrors[] = {
    {"responsetime >",
     "column 15: 'responsetime' is a number keyword: expected a number, found "
     "the end of the expression"},
    {"responsetime > \"5\"", "column 16: 'responsetime' is a number keyword: expected a number"},
    {"responsetime contains 5", "column 14: 'responsetime' is a number keyword: expected =, !="},
    {"http.url > \"a\"", "column 10: 'http.url' is a string keyword: expected =, !=, CONTAINS"},
    {"http.url = 5", "column 12: 'http.url' is a string keyword: expected a string in quotes"},
    {"fault = maybe", "column 9: 'fault' is a boolean keyword: compare it with true or false"},
    {"latency > 5", "column 1: unknown keyword 'latency'"},
    {"rootcause.fault.service", "column 1: the keyword 'rootcause.fault.service' is not supported"},
    {"inferred", "column 1: the keyword 'inferred' is not supported"},
    {"(fault", "column 7: expected ')' to close the '(' at column 1, found the end"},
    {"fault)", "column 6: expected AND, OR or the end of the expression, found ')'"},
    {"service(\"a\"", "column 12: expected ')' to close service("},
    {"service(api)", "column 9: expected a service name in quotes or id(name"},
    {"service(\"a\") {", "column 15: expected a keyword"},
    {"service(\"a\") {}", "column 15: expected a filter between '{' and '}'"},
    {"service(\"a\") { fault", "column 21: expected '}' to close the '{' at column 14"},
    {"edge(\"a\")", "column 9: expected ',' between the two services of edge()"},
    {"id()", "column 1: id() needs name: or type:"},
    {"id(kind: \"x\")", "column 4: id() takes name: and type:"},
    {"id(name \"x\")", "column 9: expected ':' after name"},
    {"http.url = \"abc", "column 12: unterminated string"},
    {"http.url = \"a\\qb\"", "column 14: unknown escape \\q"},
    {"responsetime > 5s", "column 16: '5s' is not a number"},
    {"fault # x", "column 7: unexpected character '#'"},
    {"fault and", "column 10: expected a keyword"},
    {"or fault", "column 1: expected a keyword"},
    {"annotation.a > \"x\"", "column 14: annotation.a compared with a string: use =, !="},
    {"annotation.a < true", "column 14: annotation.a compares a boolean: only = and != apply"},
    {"annotation.a contains 5",
     "column 23: expected a value for annotation.a (a string in "
     "quotes)"},
    {"annotation[a", "column 1: annotation[ is missing its closing ']'"},
    {"annotation[] = 1", "column 1: annotation[] needs a key"},
    {"\x01", "column 1: unexpected byte 0x01"},
};

TEST(TraceFilterParser, ErrorsNameColumnAndRule) {
  for (const ErrorCase& c : kErrors) {
    auto f = parse_filter(c.input);
    ASSERT_FALSE(f.ok()) << c.input;
    EXPECT_EQ(f.status().code(), Code::kInvalidArgument) << c.input;
    EXPECT_NE(f.status().message().find(c.want), std::string::npos)
        << c.input << "\n  got:  " << f.status().message() << "\n  want: " << c.want;
    EXPECT_TRUE(f.status().message().starts_with("filter expression: ")) << c.input;
  }
}

TEST(TraceFilterParser, DepthAndSizeAreBounded) {
  std::string deep(200, '(');
  deep += "fault";
  deep += std::string(200, ')');
  auto f = parse_filter(deep);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("nests deeper than 64 levels"), std::string::npos);

  std::string nots(200, '!');
  nots += "ok";
  EXPECT_FALSE(parse_filter(nots).ok());

  std::string big(kMaxFilterBytes + 1, ' ');
  f = parse_filter(big);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("at most 8192"), std::string::npos);

  std::string ok_depth(30, '(');
  ok_depth += "fault";
  ok_depth += std::string(30, ')');
  EXPECT_TRUE(parse_filter(ok_depth).ok());
}

TEST(TraceFilterLexer, Tokens) {
  Lexer lex("http.status>=500 'a\\'b' -1.5 annotation[k]{");
  std::vector<std::pair<TokenKind, std::string>> got;
  while (true) {
    auto t = lex.next();
    ASSERT_TRUE(t.ok()) << t.status().message();
    if (t->kind == TokenKind::kEnd) break;
    got.emplace_back(t->kind, t->text);
  }
  std::vector<std::pair<TokenKind, std::string>> want = {{TokenKind::kWord, "http.status"},
                                                         {TokenKind::kOp, ">="},
                                                         {TokenKind::kNumber, "500"},
                                                         {TokenKind::kString, "a'b"},
                                                         {TokenKind::kNumber, "-1.5"},
                                                         {TokenKind::kWord, "annotation.k"},
                                                         {TokenKind::kOp, "{"}};
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace opsight::query::tracefilter
