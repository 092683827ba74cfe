#pragma once
// Parser for PromQL instant-vector series selectors, the `match[]` argument of the Prometheus
// HTTP API: `metric`, `metric{a="b"}`, `{__name__=~"x.*", job!="y"}`. Errors name the
// position and what was expected. The full PromQL parser (parser.h) follows the same lexical
// rules and reuses unquote_string(); this one stays separate so match[] keeps its behaviour.

#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/matcher.h"

namespace opsight::query::promql {

Result<std::vector<storage::Matcher>> parse_series_selector(std::string_view input);

// Unquotes a PromQL string literal body ("...", '...' with Go-style escapes, or `raw`),
// `quoted` including its quotes.
Result<std::string> unquote_string(std::string_view quoted);

}  // namespace opsight::query::promql
