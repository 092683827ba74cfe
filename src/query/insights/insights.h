#pragma once
// CloudWatch Logs Insights (Logs Insights QL) for opsight: parse a query once, then run it over
// the records a LogScanner yields.
//
// Implemented from the CloudWatch Logs documentation: "CloudWatch Logs Insights language query
// syntax", the per-command pages (fields, display, filter, stats, sort, limit, parse, dedup,
// pattern, unmask), "Boolean, comparison, numeric, datetime, and other functions" and "Sample
// queries". Where the documentation is silent, the choice made is stated here.
//
// Design
//   parse_query: lexer.h -> parser.cc -> ast.h (immutable, shared by executions).
//   Execution: the commands become a chain of operators (operators.h). Commands up to the first
//   stats / sort / dedup / pattern run per record without keeping it; those four keep bounded
//   state (aggregates per group, a top-N, first row per key, the mined values) and feed the rest
//   of the chain as rows when the scan ends (or on a snapshot, from a copy of the state).
//   Per record nothing is formatted or copied: values borrow the record's text (value.h), group
//   and dedup keys are hashed as typed values, `like` uses a SIMD substring search and regexes a
//   literal-prefix prefilter in front of RE2 (text_search.h); whatever outlives the record (group
//   keys, kept sort rows, aggregator state) holds owned copies.
//
// Semantics chosen where CloudWatch does not document them
//   - Without `sort`, rows come in scan order; scan_hints asks for newest first, which is what
//     CloudWatch shows. `dedup` without a sort keeps the first row in that order.
//   - `stats` rows are ordered by the `by` values ascending (bins in time order) unless sorted;
//     a stats over no records yields no rows.
//   - Comparisons with an absent field are false (also `!=`); `not (f = x)` is true for it.
//   - `sort` defaults to ascending; nulls sort last in both directions; ties keep scan order.
//   - pct uses the nearest-rank method; stddev is the sample standard deviation (n - 1).
//   - Without fields/display/stats/pattern, the columns are @timestamp and @message. Fields
//     created by `parse` are shown unless a `display` says otherwise.
//   - `@log` is the log group name (records carry no account); severity, trace and span ids are
//     the fields severityText, traceId, spanId, present only when non-empty.
//   - Cross-account queries (a RecordOrigin given to Execution::add) add @aws.account and
//     @aws.region and make @log "<account>:<group>", as CloudWatch does for the log groups of a
//     monitoring account's linked source accounts. Single-account queries have neither field.
//
// Thread safety: a Query may be shared; an Execution is used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/log_store.h"

namespace opsight::query::insights {

struct QueryAst;

class Query {
 public:
  const QueryAst& ast() const { return *ast_; }
  const std::string& text() const;
  std::shared_ptr<const QueryAst> shared_ast() const { return ast_; }

 private:
  friend Result<Query> parse_query(std::string_view text);
  std::shared_ptr<const QueryAst> ast_;
};

// Errors name the position and the token:
//   line 1, column 23: unexpected '|' after "filter"
Result<Query> parse_query(std::string_view text);

struct ScanHints {
  // Case-sensitive substrings every matching @message contains (sound for the store's
  // case-insensitive block filter): from `filter @message like "x"` / `@message = "x"` /
  // strcontains(@message, "x") in a top-level `and` chain of a filter that runs before any
  // limit, sort, dedup, stats or pattern and before anything reassigns @message. Never from
  // `or`, `not`, `in` or regexes.
  std::vector<std::string> required_substrings;
  bool newest_first = true;
  // Whether the query reads @message / any discovered field (LogScan.need_message /
  // need_fields). Must be true whenever the query could read them (a bare `fields` list that
  // names them, a `parse`, `pattern`, functions over them, the default @message column, ...).
  bool needs_message = true;
  bool needs_fields = true;
};
ScanHints scan_hints(const Query& query);

struct ExecOptions {
  size_t max_rows = 10000;             // rows in a result (CloudWatch's default)
  size_t max_groups = 100'000;         // stats groups, dedup keys kept by a sort
  size_t max_values = 1'000'000;       // values kept for pct / count_distinct, over all groups
  size_t max_pattern_lines = 200'000;  // values kept for `pattern`
};

struct ResultTable {
  std::vector<std::string> columns;                           // in output order
  std::vector<std::vector<std::optional<std::string>>> rows;  // per row, per column
  uint64_t records_matched = 0;  // records that passed the filters before stats/limit
};

// The account and region a record belongs to, in a cross-account query (CloudWatch
// cross-account observability): exposed as @aws.account / @aws.region. The views must outlive
// the add() call they are passed to.
struct RecordOrigin {
  std::string_view account;
  std::string_view region;
};

class Pipeline;

class Execution {
 public:
  Execution(const Query& query, ExecOptions options);
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // One scanned record; copies what it keeps. A non-ok status (a limit of ExecOptions exceeded)
  // ends the query: later calls return it again.
  Status add(const storage::LogRecord& record);
  // The same, for a record of a cross-account query (see RecordOrigin).
  Status add(const storage::LogRecord& record, const RecordOrigin& origin);
  // Partial results so far (the state is copied; the execution continues).
  ResultTable snapshot() const;
  // Final results. Call once, after the last add().
  ResultTable finish();
  // True when further records cannot change the result (a limit was reached before any
  // sort/stats/dedup/pattern): the caller may stop scanning.
  bool done_early() const;
  // The first error from add(), if any.
  const Status& status() const { return status_; }

 private:
  std::unique_ptr<Pipeline> pipeline_;
  Status status_;
};

}  // namespace opsight::query::insights
