#pragma once
// Expression evaluation against a row. A row is anything that can look a field up by name: a
// scanned log record (record_env.h), a materialized result row, or a layer of fields computed by
// `fields` / `parse` on top of either.

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "query/insights/ast.h"
#include "query/insights/value.h"

namespace opsight::query::insights {

class Env {
 public:
  virtual ~Env() = default;
  // Sets *out to the field's value and returns true; false when the row has no such field.
  virtual bool lookup(std::string_view name, Value* out) const = 0;
};

// A materialized row: (name, value) pairs, later entries shadowing earlier ones of the same name.
using Row = std::vector<std::pair<std::string, Value>>;

class RowEnv : public Env {
 public:
  explicit RowEnv(const Row* row) : row_(row) {}
  bool lookup(std::string_view name, Value* out) const override;

 private:
  const Row* row_;
};

// Fields set by a command over an underlying row.
class LayerEnv : public Env {
 public:
  explicit LayerEnv(const Env* base) : base_(base) {}
  void set(std::string name, Value v) { fields_.emplace_back(std::move(name), std::move(v)); }
  bool lookup(std::string_view name, Value* out) const override;

 private:
  const Env* base_;
  Row fields_;
};

// Values of the aggregation calls of a stats projection, by node (stats evaluation only).
using AggregateValues = std::unordered_map<const Expr*, Value>;

Value eval(const Expr& e, const Env& env, const AggregateValues* aggregates = nullptr);

// Every field name an expression reads (for deciding what a row must keep).
void collect_fields(const Expr& e, std::vector<std::string>* out);

}  // namespace opsight::query::insights
