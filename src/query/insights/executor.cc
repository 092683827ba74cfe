// Execution (the incremental runner of a parsed query) and scan_hints.
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
         !e.literal.str.empty();
}

void required_from(const Expr& e, std::vector<std::string>* out) {
  if (e.kind == ExprKind::kBinary && e.op == "and") {
    required_from(*e.args[0], out);
    required_from(*e.args[1], out);
    return;
  }
  if (e.kind == ExprKind::kLike && !e.negated && !e.regex && is_message(*e.args[0]) &&
      !e.literal.str.empty()) {
    out->push_back(e.literal.str);
  } else if (e.kind == ExprKind::kBinary && e.op == "=") {
    if (is_message(*e.args[0]) && is_string_literal(*e.args[1])) {
      out->push_back(e.args[1]->literal.str);
    } else if (is_message(*e.args[1]) && is_string_literal(*e.args[0])) {
      out->push_back(e.args[0]->literal.str);
    }
  } else if (e.kind == ExprKind::kCall && e.fn == Fn::kStrcontains && is_message(*e.args[0]) &&
             is_string_literal(*e.args[1])) {
    out->push_back(e.args[1]->literal.str);
  }
}

}  // namespace

ScanHints scan_hints(const Query& query) {
  ScanHints h;
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
