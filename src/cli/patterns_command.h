#pragma once
// `opsight patterns FILE`: mines log templates from a plain log file offline (no server).
// Output (CSV, RFC 4180 quoting) on stdout:
//   line,pattern_id              header row, then one row per input line (1-based line number,
//   1,3f2a...                    pattern id as 16 lower-case hex digits)
//   <blank line>
//   pattern_id,count,template    header row, then one row per pattern, by count descending
// FILE "-" reads stdin. See docs/log-patterns.md.

#include <CLI/CLI.hpp>

namespace opsight::cli {

void add_patterns_command(CLI::App& app);

}  // namespace opsight::cli
