#pragma once
// The operators a query runs as: one per command, chained, ending in a Collector that keeps
// the result table. A row travels as an Env (a scanned record plus computed fields, or a
// materialized Row); push() hands one row to an operator, finish() ends the input and flushes
// what an operator kept to the next one.
//
// Streaming operators (filter, fields/display/unmask, parse, limit, dedup) keep no rows.
// Blocking operators keep bounded state:
//   stats   - one set of aggregators per group (<= ExecOptions::max_groups groups)
//   sort    - a top-K of rows, K = the limit that follows (or max_rows); followed by dedup, the
//             best row per dedup key (<= max_groups keys) plus a top-K of rows with null keys
//   pattern - the values to mine (<= max_pattern_lines)
// A blocking operator materializes only the fields that the rest of the query can read.
//
// clone() copies an operator and its state (for Execution::snapshot); the Pipeline rewires the
// copies.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "query/insights/ast.h"
#include "query/insights/eval.h"
#include "query/insights/insights.h"

namespace opsight::query::insights {

class Op {
 public:
  virtual ~Op() = default;
  virtual Status push(const Env& row) = 0;
  virtual Status finish() { return next_ ? next_->finish() : OkStatus(); }
  // True when no further input can change what this operator (and what follows) produces.
  virtual bool saturated() const { return next_ && next_->saturated(); }
  virtual std::unique_ptr<Op> clone() const = 0;
  void set_next(Op* next) { next_ = next; }

 protected:
  Op* next_ = nullptr;
};

// The fields a row keeps when an operator materializes it.
Row materialize(const Env& env, const std::vector<std::string>& names);

// The result columns of a query (see insights.h for the rules).
std::vector<std::string> output_columns(const QueryAst& ast);

// The operator chain of one execution, with its result table.
class Pipeline {
 public:
  Pipeline(std::shared_ptr<const QueryAst> ast, const ExecOptions& options);
  std::unique_ptr<Pipeline> clone() const;

  Status push(const Env& row) { return ops_.front()->push(row); }
  Status finish() { return ops_.front()->finish(); }
  bool saturated() const { return may_saturate_ && ops_.front()->saturated(); }
  ResultTable table() const;

 private:
  Pipeline() = default;
  void link();

  std::shared_ptr<const QueryAst> ast_;
  std::vector<std::unique_ptr<Op>> ops_;  // last: the collector
  size_t counter_index_ = 0;              // the op that counts records_matched
  // False when no input can saturate the chain (no limit, and a stats / sort / pattern keeps
  // the collector from being reached while records come): saturated() is then asked per record
  // for nothing.
  bool may_saturate_ = true;
};

}  // namespace opsight::query::insights
