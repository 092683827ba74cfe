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

// Fields set by a command over an underlying row. Names are views: they must outlive the layer
// (they come from the query's AST or its compiled regexes). lookup() copies a value out, so a
// borrowed value stays borrowed (cheap) and an owned one is copied (never a view into the layer).
class LayerEnv : public Env {
 public:
  using Fields = std::vector<std::pair<std::string_view, Value>>;
  explicit LayerEnv(const Env* base) : base_(base), fields_(&own_) {}
  // Keeps the fields in *storage (cleared first), so an operator can reuse its capacity from row
  // to row. *storage must not be used by anyone else while the layer is alive.
  LayerEnv(const Env* base, Fields* storage) : base_(base), fields_(storage) { storage->clear(); }
  LayerEnv(const LayerEnv&) = delete;
  LayerEnv& operator=(const LayerEnv&) = delete;
  void set(std::string_view name, Value v) { fields_->emplace_back(name, std::move(v)); }
  bool lookup(std::string_view name, Value* out) const override;

 private:
  const Env* base_;
  Fields own_;
  Fields* fields_;
};

// Values of the aggregation calls of a stats projection, by node (stats evaluation only).
using AggregateValues = std::unordered_map<const Expr*, Value>;

Value eval(const Expr& e, const Env& env, const AggregateValues* aggregates = nullptr);

// Every field name an expression reads (for deciding what a row must keep).
void collect_fields(const Expr& e, std::vector<std::string>* out);

}  // namespace opsight::query::insights
