// Execution (the incremental runner of a parsed query) and scan_hints.
#include <algorithm>

#include "query/insights/functions.h"
#include "query/insights/insights.h"
#include "query/insights/operators.h"
#include "query/insights/record_env.h"

namespace opsight::query::insights {

Execution::Execution(const Query& query, ExecOptions options)
    : pipeline_(std::make_unique<Pipeline>(query.shared_ast(), options)) {}

Execution::~Execution() = default;

Status Execution::add(const storage::LogRecord& record) {
  if (!status_.ok()) return status_;
  RecordEnv env(&record);
  status_ = pipeline_->push(env);
  return status_;
}

Status Execution::add(const storage::LogRecord& record, const RecordOrigin& origin) {
  if (!status_.ok()) return status_;
  RecordEnv env(&record, &origin);
  status_ = pipeline_->push(env);
  return status_;
}

ResultTable Execution::snapshot() const {
  auto copy = pipeline_->clone();
  (void)copy->finish();
  return copy->table();
}

ResultTable Execution::finish() {
  if (status_.ok()) status_ = pipeline_->finish();
  return pipeline_->table();
}

bool Execution::done_early() const {
  return pipeline_->saturated();
}

namespace {

bool is_message(const Expr& e) {
  return e.kind == ExprKind::kField && e.name == "@message";
}
bool is_string_literal(const Expr& e) {
  return e.kind == ExprKind::kLiteral && e.literal.kind == Value::Kind::kString &&
         !e.literal.sv().empty();
}

void required_from(const Expr& e, std::vector<std::string>* out) {
  if (e.kind == ExprKind::kBinary && e.op == "and") {
    required_from(*e.args[0], out);
    required_from(*e.args[1], out);
    return;
  }
  if (e.kind == ExprKind::kLike && !e.negated && !e.regex && is_message(*e.args[0]) &&
      !e.literal.sv().empty()) {
    out->emplace_back(e.literal.sv());
  } else if (e.kind == ExprKind::kBinary && e.op == "=") {
    if (is_message(*e.args[0]) && is_string_literal(*e.args[1])) {
      out->emplace_back(e.args[1]->literal.sv());
    } else if (is_message(*e.args[1]) && is_string_literal(*e.args[0])) {
      out->emplace_back(e.args[0]->literal.sv());
    }
  } else if (e.kind == ExprKind::kCall && e.fn == Fn::kStrcontains && is_message(*e.args[0]) &&
             is_string_literal(*e.args[1])) {
    out->emplace_back(e.args[1]->literal.sv());
  }
}

// What of a record the query reads (ScanHints::needs_message / needs_fields). Walks the
// commands in order up to the first stats or pattern (after which rows are their output, not
// records), keeping the names that earlier commands define: a layer set by fields / display /
// unmask / parse shadows the record (even with a null), so reading such a name reads no record.
// Every other name reads the record: the generated fields other than @message need neither
// (they are always filled), @message needs the message, and anything else (discovered fields,
// severityText / traceId / spanId, which a discovered field of that name shadows, and "@x",
// which reads the field "@x" and falls back to "x") needs the fields.
class RecordReads {
 public:
  explicit RecordReads(ScanHints* h) : h_(h) {}
  void define(std::string_view name) { defined_.emplace_back(name); }
  void read(std::string_view name) {
    if (std::find(defined_.begin(), defined_.end(), name) != defined_.end()) return;
    if (name == "@timestamp" || name == "@logStream" || name == "@log" ||
        name == "@ingestionTime" || name == "@aws.account" || name == "@aws.region") {
      return;
    }
    if (name == "@message") {
      h_->needs_message = true;
    } else {
      h_->needs_fields = true;
    }
  }
  void read(const Expr& e) {
    if (e.kind == ExprKind::kField) read(e.name);
    for (const auto& a : e.args) read(*a);  // bin() reads @timestamp: nothing to ask for
  }

 private:
  ScanHints* h_;
  std::vector<std::string> defined_;
};

void record_reads(const QueryAst& ast, ScanHints* h) {
  h->needs_message = false;
  h->needs_fields = false;
  RecordReads reads(h);
  for (const auto& c : ast.commands) {
    switch (c.kind) {
      case CommandKind::kFields:
      case CommandKind::kDisplay:
      case CommandKind::kUnmask:
        // In order: a projection may read the ones before it.
        for (const auto& p : c.projections) {
          reads.read(*p.expr);
          if (!(p.expr->kind == ExprKind::kField && p.expr->name == p.name)) reads.define(p.name);
        }
        break;
      case CommandKind::kFilter:
        reads.read(*c.expr);
        break;
      case CommandKind::kParse:
        reads.read(*c.expr);
        for (const auto& n : c.names) reads.define(n);
        break;
      case CommandKind::kSort:
        for (const auto& k : c.sort) reads.read(*k.expr);
        break;
      case CommandKind::kDedup:
        for (const auto& n : c.names) reads.read(n);
        break;
      case CommandKind::kLimit:
        break;
      case CommandKind::kStats:
        for (const auto& p : c.by) reads.read(*p.expr);
        for (const auto& p : c.projections) reads.read(*p.expr);
        return;
      case CommandKind::kPattern:
        reads.read(*c.expr);
        return;
    }
  }
  // No stats or pattern: the result columns are read from the (layered) records.
  for (const auto& col : output_columns(ast)) reads.read(col);
}

}  // namespace

ScanHints scan_hints(const Query& query) {
  ScanHints h;
  record_reads(query.ast(), &h);
  bool message_reassigned = false;
  bool stop_filters = false;
  for (const auto& c : query.ast().commands) {
    switch (c.kind) {
      case CommandKind::kFilter:
        if (!stop_filters && !message_reassigned) required_from(*c.expr, &h.required_substrings);
        break;
      case CommandKind::kFields:
      case CommandKind::kDisplay:
      case CommandKind::kUnmask:
        for (const auto& p : c.projections) {
          if (p.name == "@message" && !is_message(*p.expr)) message_reassigned = true;
        }
        break;
      case CommandKind::kParse:
        for (const auto& n : c.names) message_reassigned |= n == "@message";
        break;
      case CommandKind::kSort:
        // The store may then deliver oldest first; the explicit sort orders the result anyway.
        if (!stop_filters && !c.sort.empty() && c.sort[0].expr->kind == ExprKind::kField &&
            c.sort[0].expr->name == "@timestamp" && !c.sort[0].desc) {
          h.newest_first = false;
        }
        stop_filters = true;
        break;
      default:
        stop_filters = true;
        break;
    }
  }
  return h;
}

}  // namespace opsight::query::insights
