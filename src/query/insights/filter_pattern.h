#pragma once
// CloudWatch Logs filter patterns, as FilterLogEvents, metric filters and subscription filters
// use them (CloudWatch Logs "Filter pattern syntax for metric filters, subscription filters,
// filter log events"):
//
//   ""  /  (empty)                     every event
//   ERROR Exception                    every term appears (case-sensitive substrings)
//   "Failed to process"                a quoted term (spaces and punctuation allowed)
//   ?ERROR ?WARN                       at least one of the ?terms appears
//   ERROR -Exiting                     no -term appears
//   { $.level = "ERROR" }              JSON: selectors $.a.b, $.a[0].c; = != with strings (with
//                                      * wildcards) or numbers; < > <= >= numbers; IS NULL,
//                                      NOT EXISTS, IS TRUE, IS FALSE; && || and parentheses
//                                      (&& binds tighter than ||)
//   [ip, user, ..., status = 4*, bytes > 1000]
//                                      space-delimited: the message split on spaces, "..." and
//                                      [...] each one field; `...` stands for any number of
//                                      fields; conditions as in JSON patterns (&&, || allowed)
//
// JSON selectors read LogRecord.fields, which hold the message's JSON keys flattened with '.'
// (array elements as .0, .1: $.users[0].id reads "users.0.id"); a JSON null is the text "null".
// A comparison with a missing field is false (also !=).
//
// Thread safety: a FilterPattern is immutable; matches() may run on several threads.

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/log_store.h"

namespace opsight::query::insights {

class FilterPattern {
 public:
  // A named field of a space-delimited pattern and the word it matched ([ip, user, ...]).
  using SpaceField = std::pair<std::string_view, std::string_view>;

  bool matches(const storage::LogRecord& record) const;
  // The same; when the pattern is space-delimited and matches, *space_fields (cleared first)
  // holds the named fields and their words, as metric filters read `$name` values. The views
  // point into the pattern and record.message.
  bool matches(const storage::LogRecord& record, std::vector<SpaceField>* space_fields) const;
  // True for the empty pattern (every event).
  bool matches_all() const;

  struct Impl;

 private:
  friend Result<FilterPattern> parse_filter_pattern(std::string_view text);
  std::shared_ptr<const Impl> impl_;
};

// Errors name the position: `filter pattern column 12: expected a selector such as $.level`.
Result<FilterPattern> parse_filter_pattern(std::string_view text);

}  // namespace opsight::query::insights
