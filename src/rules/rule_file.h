#pragma once
// Rule files in Prometheus's format (prometheus.io/docs/prometheus/latest/configuration/
// recording_rules.md and alerting_rules.md; the checks of rulefmt.Validate, as `promtool check
// rules` runs them):
//
//   groups:
//     - name: <string>                # unique within the file, not empty
//       interval: <duration>          # default: the global evaluation_interval
//       limit: <int>                  # max series (recording) / alerts (alerting); 0 = none
//       rules:
//         - record: <metric name>     # exactly one of record / alert
//           alert: <string>
//           expr: <PromQL>            # must parse
//           for: <duration>           # alerting only
//           keep_firing_for: <duration>  # alerting only
//           labels: {<name>: <value>} # templates for alerting rules
//           annotations: {<name>: <template>}  # alerting only
//
// Unknown keys anywhere are errors (Prometheus parses rule files strictly). Every problem is
// reported, one per line, as promtool does: "<file>: <line>:<col>: group \"g\", rule N, \"name\":
// what is wrong".
// Thread-safe (no shared state).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "query/promql/ast.h"
#include "rules/template.h"

namespace opsight::rules {

enum class RuleType { kRecording, kAlerting };

// One validated rule. Immutable once loaded; shared by the running group and API snapshots.
struct RuleSpec {
  RuleType type = RuleType::kRecording;
  std::string name;  // the record (metric name) or the alert name
  std::shared_ptr<const query::promql::Expr> expr;
  std::string query;  // expr in canonical form (as /api/v1/rules shows it)
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  Labels labels;       // as written (unexpanded for alerting rules)
  Labels annotations;  // as written
  // Alerting rules: the parsed label and annotation templates (same order as labels/annotations).
  std::vector<std::pair<std::string, Template>> label_templates;
  std::vector<std::pair<std::string, Template>> annotation_templates;
};

struct GroupSpec {
  std::string name;
  std::string file;
  int64_t interval_ms = 0;  // 0 = the global evaluation interval
  int64_t limit = 0;
  std::vector<std::shared_ptr<const RuleSpec>> rules;
};

// Parses and validates the text of one rule file; `file` names it in errors and in GroupSpec.
Result<std::vector<GroupSpec>> parse_rule_file(std::string_view yaml, const std::string& file);

// Reads every file matching each pattern (glob(3) syntax; a relative pattern is taken relative to
// base_dir). A pattern that matches nothing is not an error, as in Prometheus; an unreadable or
// invalid file is. Errors of all files are reported together.
Result<std::vector<GroupSpec>> load_rule_files(const std::vector<std::string>& patterns,
                                               const std::string& base_dir);

// [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]* (the Prometheus data model).
bool is_valid_metric_name(std::string_view s);
bool is_valid_label_name(std::string_view s);

}  // namespace opsight::rules
