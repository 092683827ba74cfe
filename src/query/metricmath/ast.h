#pragma once
// The syntax tree of one Metric Math expression (see parser.h for the grammar).

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace opsight::query::metricmath {

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kPow, kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr };

// "+", "==", "AND", ...
const char* op_name(BinaryOp op);

struct Node {
  enum class Kind {
    kNumber,  // number
    kString,  // text: the unquoted string
    kIdent,   // text: a query id or a keyword argument (REPEAT, LINEAR, SUM, ASC, ...)
    kCall,    // text: function name upper-cased; args
    kNegate,  // args[0]
    kBinary,  // op; args[0], args[1]
    kArray,   // [a, b, ...]: args
  };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string text;
  BinaryOp op = BinaryOp::kAdd;
  std::vector<std::unique_ptr<Node>> args;
  size_t pos = 0;  // byte offset in the expression text, for messages
};

}  // namespace opsight::query::metricmath
