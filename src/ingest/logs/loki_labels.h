#pragma once
// A Loki / Prometheus label set in text form, as Loki's push protobuf carries it in
// StreamAdapter.labels: `{job="varlogs", filename="/var/log/syslog"}`.
//
// Grammar (Prometheus text exposition label syntax, as Loki's parser accepts it):
//   labels := '{' [ label { ',' label } [','] ] '}'     (spaces and tabs allowed between tokens)
//   label  := name '=' '"' value '"'
//   name   := [a-zA-Z_][a-zA-Z0-9_]*
//   value  := UTF-8 with the escapes \" \\ \n \t (Go string escapes, as Loki writes them)
// Duplicate names are an error. Empty values are dropped (a label with an empty value is absent,
// as everywhere in opsight). Written by hand: ingest must not depend on query/promql.
//
// Thread safety: pure functions.

#include <string_view>

#include "common/labels.h"
#include "common/status.h"

namespace opsight::ingest::logs {

// Parses `text`; InvalidArgument naming the byte offset and what was expected.
Result<Labels> parse_label_set(std::string_view text);

}  // namespace opsight::ingest::logs
