#pragma once
// The parsed form of an X-Ray filter expression. A Filter owns a tree of Nodes; it is immutable
// after parse() and may be evaluated from several threads at once.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace opsight::query::tracefilter {

enum class NodeKind {
  kAnd,         // children[0] and children[1]
  kOr,          // children[0] or children[1]
  kNot,         // not children[0]
  kBool,        // bool_key, compared with `flag` (fault, !fault, fault = false)
  kNumber,      // num_key op number
  kString,      // str_key op text
  kAnnotation,  // annotation.<text> op value (or presence when op == kExists)
  kService,     // service(a) [{ children[0] }]
  kEdge,        // edge(a, b) [{ children[0] }]
};

enum class BoolKey { kOk, kError, kThrottle, kFault, kPartial };
enum class NumKey { kResponseTime, kDuration, kHttpStatus };
enum class StrKey { kHttpUrl, kHttpMethod, kHttpUserAgent, kHttpClientIp, kUser, kName };

enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe, kContains, kBeginsWith, kEndsWith, kExists };

enum class ValueType { kString, kNumber, kBool };

// A node of the service graph named in service() / edge(): a name, or id(name: ..., type: ...).
// Empty fields match anything (service() with no argument is any service).
struct NodeRef {
  std::string name;
  std::string type;
};

struct Node {
  NodeKind kind = NodeKind::kBool;
  size_t offset = 0;  // where the node starts in the expression
  std::vector<std::unique_ptr<Node>> children;

  BoolKey bool_key = BoolKey::kOk;
  NumKey num_key = NumKey::kResponseTime;
  StrKey str_key = StrKey::kHttpUrl;
  CmpOp op = CmpOp::kEq;
  bool flag = true;  // kBool: the value the keyword must have

  // kNumber / kString / kAnnotation: the value compared with.
  ValueType value_type = ValueType::kString;
  std::string text;  // kString value; kAnnotation: the value as text (numbers as written)
  double number = 0;
  std::string annotation_key;

  NodeRef a, b;  // kService: a; kEdge: a -> b
};

struct Filter {
  std::unique_ptr<Node> root;  // null: the empty expression, which matches every trace
  std::string text;            // the expression as given
};

}  // namespace opsight::query::tracefilter
