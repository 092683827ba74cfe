#include "query/insights/operators.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "query/insights/aggregators.h"
#include "query/insights/functions.h"
#include "query/insights/text_search.h"
#include "query/patterns/pattern_miner.h"

namespace opsight::query::insights {

Row materialize(const Env& env, const std::vector<std::string>& names) {
  Row row;
  row.reserve(names.size());
  for (const auto& n : names) {
    Value v;
    if (env.lookup(n, &v)) row.emplace_back(n, v.owned());  // the row outlives the record
  }
  return row;
}

namespace {

// Keys of stats groups and dedup: the values themselves, hashed and compared as values
// (same_key / key_hash), so a row's key is never formatted as text. A lookup probes with the
// row's (borrowed) values; a key that is kept is owned() first.
using Key = std::vector<Value>;
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = k.size();
    for (const auto& v : k) h = (h ^ key_hash(v)) * 0x100000001b3ULL;  // FNV-1a style combine
    return h;
  }
};
struct KeyEq {
  bool operator()(const Key& a, const Key& b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++) {
      if (!same_key(a[i], b[i])) return false;
    }
    return true;
  }
};
template <typename T>
using KeyMap = std::unordered_map<Key, T, KeyHash, KeyEq>;

Key owned_key(const Key& k) {
  Key out;
  out.reserve(k.size());
  for (const auto& v : k) out.push_back(v.owned());
  return out;
}

class FilterOp : public Op {
 public:
  explicit FilterOp(const Expr* cond) : cond_(cond) {}
  Status push(const Env& row) override {
    if (truthy(eval(*cond_, row))) return next_->push(row);
    return OkStatus();
  }
  std::unique_ptr<Op> clone() const override { return std::make_unique<FilterOp>(*this); }

 private:
  const Expr* cond_;
};

// fields, display, unmask: computed fields layered over the row.
class FieldsOp : public Op {
 public:
  explicit FieldsOp(const std::vector<Projection>* projections) : projections_(projections) {}
  Status push(const Env& row) override {
    LayerEnv layer(&row, &storage_);
    for (const auto& p : *projections_) {
      if (p.expr->kind == ExprKind::kField && p.expr->name == p.name) continue;  // as is
      layer.set(p.name, eval(*p.expr, layer));
    }
    return next_->push(layer);
  }
  std::unique_ptr<Op> clone() const override { return std::make_unique<FieldsOp>(*this); }

 private:
  const std::vector<Projection>* projections_;
  LayerEnv::Fields storage_;  // reused from row to row
};

class ParseOp : public Op {
 public:
  explicit ParseOp(const Command* cmd) : cmd_(cmd) {
    sub_.resize(static_cast<size_t>(cmd_->parse_regex->NumberOfCapturingGroups()) + 1);
  }
  Status push(const Env& row) override {
    LayerEnv layer(&row, &storage_);
    const re2::RE2& rx = *cmd_->parse_regex;
    // The captures borrow from `source` (a view into the record, or this local) and `scratch`,
    // which outlive the push to the rest of the chain.
    Value source = eval(*cmd_->expr, row);
    std::string scratch;
    std::string_view text;
    bool ok =
        text_view(source, &scratch, &text) &&
        regex_search(rx, cmd_->parse_prefix, text, sub_.data(), static_cast<int>(sub_.size()));
    auto capture = [&](size_t i) {
      const auto& s = sub_[i];
      return ok && s.data() ? Value::view(std::string_view(s.data(), s.size())) : Value::null();
    };
    if (!cmd_->glob.empty()) {
      for (size_t i = 0; i < cmd_->names.size(); i++) layer.set(cmd_->names[i], capture(i + 1));
    } else {
      for (const auto& [index, name] : rx.CapturingGroupNames()) {
        layer.set(name, capture(static_cast<size_t>(index)));
      }
    }
    return next_->push(layer);
  }
  std::unique_ptr<Op> clone() const override { return std::make_unique<ParseOp>(*this); }

 private:
  const Command* cmd_;
  std::vector<re2::StringPiece> sub_;  // capture slots, reused
  LayerEnv::Fields storage_;
};

class LimitOp : public Op {
 public:
  explicit LimitOp(uint64_t n) : n_(n) {}
  Status push(const Env& row) override {
    if (seen_ >= n_) return OkStatus();
    seen_++;
    return next_->push(row);
  }
  bool saturated() const override { return seen_ >= n_ || Op::saturated(); }
  std::unique_ptr<Op> clone() const override { return std::make_unique<LimitOp>(*this); }

 private:
  uint64_t n_;
  uint64_t seen_ = 0;
};

// Counts the records that passed the filters (records_matched).
class CountOp : public Op {
 public:
  Status push(const Env& row) override {
    count_++;
    return next_->push(row);
  }
  std::unique_ptr<Op> clone() const override { return std::make_unique<CountOp>(*this); }
  uint64_t count() const { return count_; }

 private:
  uint64_t count_ = 0;
};

// Keeps the first row of each combination of the dedup fields; rows with a null in any of them
// always pass (CloudWatch: "Null values are not considered duplicates").
class DedupOp : public Op {
 public:
  explicit DedupOp(const std::vector<std::string>* names) : names_(names) {}
  Status push(const Env& row) override {
    probe_.clear();
    for (const auto& n : *names_) {
      Value v;
      if (!row.lookup(n, &v) || v.is_null()) return next_->push(row);
      probe_.push_back(std::move(v));
    }
    if (seen_.count(probe_)) return OkStatus();
    seen_.insert(owned_key(probe_));
    return next_->push(row);
  }
  std::unique_ptr<Op> clone() const override { return std::make_unique<DedupOp>(*this); }

 private:
  const std::vector<std::string>* names_;
  std::unordered_set<Key, KeyHash, KeyEq> seen_;
  Key probe_;  // reused
};

class StatsOp : public Op {
 public:
  StatsOp(const Command* cmd, const ExecOptions& options) : cmd_(cmd), options_(options) {
    budget_.max_values = options.max_values;
    for (const auto& p : cmd->projections) find_aggregates(*p.expr);
    for (const Expr* c : calls_) needs_ts_ |= c->fn == Fn::kEarliest || c->fn == Fn::kLatest;
  }
  StatsOp(const StatsOp& o)
      : Op(o),
        cmd_(o.cmd_),
        options_(o.options_),
        calls_(o.calls_),
        needs_ts_(o.needs_ts_),
        index_(o.index_),
        last_(o.last_),
        budget_(o.budget_) {
    for (const auto& g : o.groups_) {
      Group c;
      c.keys = g.keys;
      for (const auto& a : g.aggs) c.aggs.push_back(a->clone());
      groups_.push_back(std::move(c));
    }
  }

  Status push(const Env& row) override {
    size_t gi = 0;
    if (cmd_->by.empty()) {
      if (groups_.empty()) RETURN_IF_ERROR(add_group({}));
    } else {
      probe_.clear();
      for (const auto& b : cmd_->by) probe_.push_back(eval(*b.expr, row));
      // Records come in time order, often many in a row with the same key (a bin, a stream):
      // the previous row's group is checked before the hash table.
      if (last_ < groups_.size() && KeyEq()(probe_, groups_[last_].keys)) {
        gi = last_;
      } else {
        auto it = index_.find(probe_);
        if (it == index_.end()) {
          RETURN_IF_ERROR(add_group(owned_key(probe_)));
          gi = groups_.size() - 1;
          index_.emplace(groups_.back().keys, gi);
        } else {
          gi = it->second;
        }
        last_ = gi;
      }
    }
    Group& g = groups_[gi];
    std::optional<int64_t> ts;
    if (needs_ts_) {
      Value ts_value;
      if (row.lookup("@timestamp", &ts_value)) ts = as_time_ms(ts_value);
    }
    for (size_t i = 0; i < calls_.size(); i++) {
      const Expr& c = *calls_[i];
      if (c.args.empty() || c.args[0]->kind == ExprKind::kStar) {
        RETURN_IF_ERROR(g.aggs[i]->add(Value::boolean(true), ts, &budget_));
      } else {
        RETURN_IF_ERROR(g.aggs[i]->add(eval(*c.args[0], row), ts, &budget_));
      }
    }
    return OkStatus();
  }

  Status finish() override {
    std::vector<size_t> order(groups_.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const auto& ka = groups_[a].keys;
      const auto& kb = groups_[b].keys;
      for (size_t i = 0; i < ka.size(); i++) {
        if (ka[i].is_null() != kb[i].is_null()) return ka[i].is_null();
        if (ka[i].is_null()) continue;
        int c = compare_values(ka[i], kb[i]);
        if (c != 0) return c < 0;
      }
      return false;
    });
    for (size_t gi : order) {
      const Group& g = groups_[gi];
      Row row;
      for (size_t i = 0; i < cmd_->by.size(); i++) row.emplace_back(cmd_->by[i].name, g.keys[i]);
      AggregateValues values;
      for (size_t i = 0; i < calls_.size(); i++) values[calls_[i]] = g.aggs[i]->result();
      for (const auto& p : cmd_->projections) {
        RowEnv env(&row);
        Value v = eval(*p.expr, env, &values);
        row.emplace_back(p.name, std::move(v));
      }
      RETURN_IF_ERROR(next_->push(RowEnv(&row)));
    }
    return next_->finish();
  }
  bool saturated() const override { return false; }
  std::unique_ptr<Op> clone() const override { return std::make_unique<StatsOp>(*this); }

 private:
  struct Group {
    std::vector<Value> keys;
    std::vector<std::unique_ptr<Aggregator>> aggs;
  };
  Status add_group(Key keys) {
    if (groups_.size() >= options_.max_groups) {
      return Status::resource_exhausted(
          "stats has more than " + std::to_string(options_.max_groups) +
          " groups (ExecOptions::max_groups); use fewer or coarser 'by' fields");
    }
    Group g;
    g.keys = std::move(keys);
    for (const Expr* c : calls_) g.aggs.push_back(make_aggregator(*c));
    groups_.push_back(std::move(g));
    return OkStatus();
  }
  void find_aggregates(const Expr& e) {
    if (e.aggregate) {
      calls_.push_back(&e);
      return;
    }
    for (const auto& a : e.args) find_aggregates(*a);
  }

  const Command* cmd_;
  ExecOptions options_;
  std::vector<const Expr*> calls_;
  bool needs_ts_ = false;   // an earliest/latest reads each row's @timestamp
  KeyMap<size_t> index_;    // by values -> group (unused without `by`)
  size_t last_ = SIZE_MAX;  // the group of the previous row
  std::vector<Group> groups_;
  ValueBudget budget_;
  Key probe_;  // the current row's by values (borrowed), reused
};

class SortOp : public Op {
 public:
  struct Config {
    const std::vector<SortKey>* keys = nullptr;
    size_t k = 0;                                     // rows to keep
    const std::vector<std::string>* dedup = nullptr;  // dedup fields that follow, if any
    bool passthrough = false;       // an aggregation follows before any limit: order is irrelevant
    std::vector<std::string> keep;  // fields to materialize
    size_t max_groups = 0;
  };
  explicit SortOp(Config config) : c_(std::move(config)), heap_(Worse{this}) {}
  SortOp(const SortOp& o) : Op(o), c_(o.c_), heap_(Worse{this}), best_(o.best_), seq_(o.seq_) {
    auto copy = o.heap_;
    while (!copy.empty()) {
      heap_.push(copy.top());
      copy.pop();
    }
  }

  Status push(const Env& row) override {
    if (c_.passthrough) return next_->push(row);
    Entry e;
    e.seq = seq_++;
    for (const auto& k : *c_.keys) e.keys.push_back(eval(*k.expr, row));
    // An entry that is kept owns its keys and a materialized copy of the row.
    auto keep = [&]() {
      for (auto& v : e.keys) v.own();
      e.row = materialize(row, c_.keep);
    };
    if (c_.dedup) {
      Key dk;
      bool has_null = false;
      for (const auto& n : *c_.dedup) {
        Value v;
        if (!row.lookup(n, &v) || v.is_null()) {
          has_null = true;
          break;
        }
        dk.push_back(std::move(v));
      }
      if (!has_null) {
        auto it = best_.find(dk);
        if (it == best_.end()) {
          if (best_.size() >= c_.max_groups) {
            return Status::resource_exhausted("sort | dedup keeps at most " +
                                              std::to_string(c_.max_groups) +
                                              " distinct dedup keys (ExecOptions::max_groups)");
          }
          keep();
          best_.emplace(owned_key(dk), std::move(e));
        } else if (before(e, it->second)) {
          keep();
          it->second = std::move(e);
        }
        return OkStatus();
      }
    }
    if (c_.k == 0) return OkStatus();
    if (heap_.size() < c_.k) {
      keep();
      heap_.push(std::move(e));
    } else if (before(e, heap_.top())) {
      keep();
      heap_.pop();
      heap_.push(std::move(e));
    }
    return OkStatus();
  }

  Status finish() override {
    if (c_.passthrough) return next_->finish();
    std::vector<Entry> all;
    all.reserve(heap_.size() + best_.size());
    while (!heap_.empty()) {
      all.push_back(heap_.top());
      heap_.pop();
    }
    for (auto& [k, e] : best_) all.push_back(std::move(e));
    best_.clear();
    std::sort(all.begin(), all.end(), [&](const Entry& a, const Entry& b) { return before(a, b); });
    if (all.size() > c_.k) all.resize(c_.k);
    for (const auto& e : all) RETURN_IF_ERROR(next_->push(RowEnv(&e.row)));
    return next_->finish();
  }
  bool saturated() const override { return c_.passthrough && Op::saturated(); }
  std::unique_ptr<Op> clone() const override { return std::make_unique<SortOp>(*this); }

 private:
  struct Entry {
    std::vector<Value> keys;
    uint64_t seq = 0;
    Row row;
  };
  // a sorts before b: per key, nulls last in either direction; ties keep arrival order.
  bool before(const Entry& a, const Entry& b) const {
    for (size_t i = 0; i < a.keys.size(); i++) {
      const Value& x = a.keys[i];
      const Value& y = b.keys[i];
      if (x.is_null() || y.is_null()) {
        if (x.is_null() != y.is_null()) return y.is_null();
        continue;
      }
      int c = compare_values(x, y);
      if ((*c_.keys)[i].desc) c = -c;
      if (c != 0) return c < 0;
    }
    return a.seq < b.seq;
  }
  struct Worse {
    const SortOp* op;
    bool operator()(const Entry& a, const Entry& b) const { return op->before(a, b); }
  };

  Config c_;
  std::priority_queue<Entry, std::vector<Entry>, Worse> heap_;  // top: the worst kept row
  KeyMap<Entry> best_;
  uint64_t seq_ = 0;
};

std::string hex_id(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

// pattern: mines the templates of the values with query::patterns::mine.
class PatternOp : public Op {
 public:
  PatternOp(const Expr* source, size_t max_lines) : source_(source), max_lines_(max_lines) {}
  Status push(const Env& row) override {
    auto s = as_text(eval(*source_, row));
    if (!s) return OkStatus();
    if (lines_.size() >= max_lines_) {
      return Status::resource_exhausted("pattern keeps at most " + std::to_string(max_lines_) +
                                        " values per query (ExecOptions::max_pattern_lines); "
                                        "filter or narrow the time range first");
    }
    lines_.push_back(std::move(*s));
    return OkStatus();
  }
  Status finish() override {
    std::vector<std::string_view> views(lines_.begin(), lines_.end());
    patterns::MiningResult mined = patterns::mine(views);
    double total = static_cast<double>(lines_.size());
    for (const auto& p : mined.patterns) {
      Row row;
      row.emplace_back("@pattern", Value::string(p.template_text));
      row.emplace_back("@sampleCount", Value::number(static_cast<double>(p.count)));
      row.emplace_back("@ratio", Value::number(static_cast<double>(p.count) / total));
      row.emplace_back("@patternId", Value::string(hex_id(p.id)));
      RETURN_IF_ERROR(next_->push(RowEnv(&row)));
    }
    return next_->finish();
  }
  bool saturated() const override { return false; }
  std::unique_ptr<Op> clone() const override { return std::make_unique<PatternOp>(*this); }

 private:
  const Expr* source_;
  size_t max_lines_;
  std::vector<std::string> lines_;
};

class Collector : public Op {
 public:
  Collector(std::vector<std::string> columns, size_t max_rows)
      : columns_(std::move(columns)), max_rows_(max_rows) {}
  Status push(const Env& row) override {
    if (rows_.size() >= max_rows_) return OkStatus();
    std::vector<std::optional<std::string>> out;
    out.reserve(columns_.size());
    for (const auto& c : columns_) {
      Value v;
      if (row.lookup(c, &v)) {
        out.push_back(display(v));
      } else if (c.size() > 1 && c[0] == '@' && row.lookup(c.substr(1), &v)) {
        out.push_back(display(v));
      } else {
        out.push_back(std::nullopt);
      }
    }
    rows_.push_back(std::move(out));
    return OkStatus();
  }
  Status finish() override { return OkStatus(); }
  bool saturated() const override { return rows_.size() >= max_rows_; }
  std::unique_ptr<Op> clone() const override { return std::make_unique<Collector>(*this); }

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<std::optional<std::string>>>& rows() const { return rows_; }

 private:
  std::vector<std::string> columns_;
  size_t max_rows_;
  std::vector<std::vector<std::optional<std::string>>> rows_;
};

void add_unique(std::vector<std::string>* v, const std::string& s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

bool is_row_command(CommandKind k) {
  return k == CommandKind::kFilter || k == CommandKind::kFields || k == CommandKind::kDisplay ||
         k == CommandKind::kUnmask || k == CommandKind::kParse;
}

}  // namespace

std::vector<std::string> output_columns(const QueryAst& ast) {
  std::vector<std::string> cols;    // fields / unmask / stats / pattern columns
  std::vector<std::string> parsed;  // fields created by parse since the last stats
  std::optional<std::vector<std::string>> display_cols;
  bool explicit_cols = false;
  for (const auto& c : ast.commands) {
    switch (c.kind) {
      case CommandKind::kFields:
      case CommandKind::kUnmask:
        for (const auto& p : c.projections) add_unique(&cols, p.name);
        explicit_cols = true;
        break;
      case CommandKind::kParse:
        for (const auto& n : c.names) add_unique(&parsed, n);
        break;
      case CommandKind::kDisplay: {
        std::vector<std::string> d;
        for (const auto& p : c.projections) add_unique(&d, p.name);
        display_cols = std::move(d);
        break;
      }
      case CommandKind::kStats:
        cols.clear();
        parsed.clear();
        for (const auto& p : c.by) add_unique(&cols, p.name);
        for (const auto& p : c.projections) add_unique(&cols, p.name);
        explicit_cols = true;
        break;
      case CommandKind::kPattern:
        cols = {"@pattern", "@sampleCount", "@ratio", "@patternId"};
        parsed.clear();
        explicit_cols = true;
        break;
      default:
        break;
    }
  }
  if (display_cols) return *display_cols;
  if (!explicit_cols) cols.insert(cols.begin(), {"@timestamp", "@message"});
  for (const auto& n : parsed) add_unique(&cols, n);
  return cols;
}

Pipeline::Pipeline(std::shared_ptr<const QueryAst> ast, const ExecOptions& options)
    : ast_(std::move(ast)) {
  const auto& cmds = ast_->commands;
  std::vector<std::string> columns = output_columns(*ast_);
  // What a materialized row keeps: every field the query names, and the result columns.
  std::vector<std::string> keep = columns;
  add_unique(&keep, "@timestamp");
  for (const auto& c : cmds) {
    std::vector<std::string> names;
    for (const auto& p : c.projections) {
      names.push_back(p.name);
      collect_fields(*p.expr, &names);
    }
    for (const auto& p : c.by) names.push_back(p.name);
    if (c.expr) collect_fields(*c.expr, &names);
    for (const auto& k : c.sort) collect_fields(*k.expr, &names);
    for (const auto& n : c.names) names.push_back(n);
    for (const auto& n : names) add_unique(&keep, n);
  }

  bool counted = false;
  for (size_t i = 0; i < cmds.size(); i++) {
    const Command& c = cmds[i];
    if (!counted && !is_row_command(c.kind)) {
      counter_index_ = ops_.size();
      ops_.push_back(std::make_unique<CountOp>());
      counted = true;
    }
    switch (c.kind) {
      case CommandKind::kFilter:
        ops_.push_back(std::make_unique<FilterOp>(c.expr.get()));
        break;
      case CommandKind::kFields:
      case CommandKind::kDisplay:
      case CommandKind::kUnmask:
        ops_.push_back(std::make_unique<FieldsOp>(&c.projections));
        break;
      case CommandKind::kParse:
        ops_.push_back(std::make_unique<ParseOp>(&c));
        break;
      case CommandKind::kLimit:
        ops_.push_back(std::make_unique<LimitOp>(c.limit));
        break;
      case CommandKind::kDedup:
        ops_.push_back(std::make_unique<DedupOp>(&c.names));
        break;
      case CommandKind::kStats:
        ops_.push_back(std::make_unique<StatsOp>(&c, options));
        break;
      case CommandKind::kPattern:
        ops_.push_back(std::make_unique<PatternOp>(c.expr.get(), options.max_pattern_lines));
        break;
      case CommandKind::kSort: {
        SortOp::Config cfg;
        cfg.keys = &c.sort;
        cfg.k = options.max_rows;
        cfg.keep = keep;
        cfg.max_groups = options.max_groups;
        size_t j = i + 1;
        if (j < cmds.size() && cmds[j].kind == CommandKind::kDedup) cfg.dedup = &cmds[j++].names;
        if (j < cmds.size() && cmds[j].kind == CommandKind::kLimit) {
          cfg.k = std::min<uint64_t>(cfg.k, cmds[j].limit);
        }
        for (size_t m = i + 1; m < cmds.size(); m++) {
          if (cmds[m].kind == CommandKind::kLimit || cmds[m].kind == CommandKind::kSort) break;
          if (cmds[m].kind == CommandKind::kStats || cmds[m].kind == CommandKind::kPattern) {
            cfg.passthrough = true;
            break;
          }
        }
        ops_.push_back(std::make_unique<SortOp>(std::move(cfg)));
        break;
      }
    }
  }
  bool has_limit = false, has_blocking = false;
  for (const auto& c : cmds) {
    has_limit |= c.kind == CommandKind::kLimit;
    has_blocking |= c.kind == CommandKind::kStats || c.kind == CommandKind::kSort ||
                    c.kind == CommandKind::kPattern;
  }
  may_saturate_ = has_limit || !has_blocking;
  if (!counted) {
    counter_index_ = ops_.size();
    ops_.push_back(std::make_unique<CountOp>());
  }
  ops_.push_back(std::make_unique<Collector>(std::move(columns), options.max_rows));
  link();
}

void Pipeline::link() {
  for (size_t i = 0; i + 1 < ops_.size(); i++) ops_[i]->set_next(ops_[i + 1].get());
}

std::unique_ptr<Pipeline> Pipeline::clone() const {
  std::unique_ptr<Pipeline> p(new Pipeline());
  p->ast_ = ast_;
  p->counter_index_ = counter_index_;
  p->may_saturate_ = may_saturate_;
  for (const auto& op : ops_) p->ops_.push_back(op->clone());
  p->link();
  return p;
}

ResultTable Pipeline::table() const {
  const auto& collector = static_cast<const Collector&>(*ops_.back());
  ResultTable t;
  t.columns = collector.columns();
  t.rows = collector.rows();
  t.records_matched = static_cast<const CountOp&>(*ops_[counter_index_]).count();
  return t;
}

}  // namespace opsight::query::insights
