#pragma once
// The PromQL abstract syntax tree (Prometheus 2.x grammar, as documented at
// https://prometheus.io/docs/prometheus/latest/querying/basics/ and operators/, functions/).
//
// One Node type with a kind tag keeps the tree small and easy to walk; the fields that a kind
// does not use stay at their defaults. Children are owned (unique_ptr). A parsed tree is
// immutable and may be evaluated by several threads at once.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/matcher.h"

namespace opsight::query::promql {

enum class ValueType { kNone, kScalar, kString, kVector, kMatrix };
// "scalar", "string", "instant vector", "range vector" (Prometheus's names in errors).
std::string_view value_type_name(ValueType t);

enum class NodeKind {
  kNumber,          // number
  kString,          // str
  kVectorSelector,  // metric_name, matchers, offset/@
  kMatrixSelector,  // the same plus range_ms
  kSubquery,        // args[0][range_ms:step_ms] offset/@
  kParen,           // (args[0])
  kUnary,           // -args[0] (op kSub) or +args[0] (op kAdd)
  kBinary,          // args[0] op args[1]
  kAggregate,       // agg(args...) with grouping; args = [param,] expr
  kCall,            // func(args...)
};

enum class BinOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  kAnd,
  kOr,
  kUnless,
};
std::string_view binop_name(BinOp op);
bool is_comparison(BinOp op);
bool is_set_operator(BinOp op);

enum class AggOp {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kQuantile,
  kCountValues,
};
std::string_view aggop_name(AggOp op);
// True when the aggregation takes a parameter before the vector (topk, quantile, ...).
bool aggop_has_param(AggOp op);

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  bool on = false;                   // on(...) rather than ignoring(...)
  bool explicit_matching = false;    // on/ignoring was written
  std::vector<std::string> labels;   // the on/ignoring labels
  std::vector<std::string> include;  // group_left/group_right labels
};

enum class AtKind { kNone, kTimestamp, kStart, kEnd };

struct FunctionDef;

struct Node {
  NodeKind kind = NodeKind::kNumber;
  size_t pos = 0;  // byte offset of the node in the query

  double number = 0;  // kNumber
  std::string str;    // kString

  // Selectors and subqueries.
  std::string metric_name;                 // kVectorSelector/kMatrixSelector, may be empty
  std::vector<storage::Matcher> matchers;  // including the __name__ matcher
  int64_t range_ms = 0;                    // kMatrixSelector, kSubquery
  int64_t step_ms = 0;                     // kSubquery, 0 = the engine's default
  int64_t offset_ms = 0;                   // kVectorSelector/kMatrixSelector/kSubquery
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;  // when at == kTimestamp

  // Operators.
  BinOp op = BinOp::kAdd;  // kUnary (kAdd/kSub), kBinary
  bool return_bool = false;
  VectorMatching matching;

  // Aggregations.
  AggOp agg = AggOp::kSum;
  std::vector<std::string> grouping;
  bool without = false;

  // Calls.
  const FunctionDef* func = nullptr;

  std::vector<std::unique_ptr<Node>> args;

  ValueType type() const;
  // PromQL text of the node (canonical spacing, as Prometheus's String()).
  std::string to_string() const;
};

// A parsed query.
struct Expr {
  std::unique_ptr<Node> root;
  ValueType type() const { return root ? root->type() : ValueType::kNone; }
  std::string to_string() const { return root ? root->to_string() : std::string(); }
};

// Formats a duration in Prometheus notation: 90000 -> "1m30s", 0 -> "0s".
std::string format_duration(int64_t ms);

}  // namespace opsight::query::promql
