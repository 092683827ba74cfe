#pragma once
// Relabeling as Prometheus does it (prometheus.io/docs/prometheus/latest/configuration/
// configuration/#relabel_config): an ordered list of rules applied to a label set, used for
// targets (relabel_configs) and for scraped samples (metric_relabel_configs).
//
// Semantics (Prometheus 2.42 model/relabel):
//   - The source value is the values of source_labels (absent = "") joined by `separator`.
//   - `regex` is RE2 syntax, fully anchored (^(?:regex)$).
//   - replace: when regex matches the source value, target_label and replacement are expanded
//     ($1, ${1}, $name, ${name}, $$ as in Go's regexp.Expand); an invalid expanded label name
//     skips the rule; an empty expanded value deletes the target label.
//   - keep / drop: keep or drop the whole label set when regex matches (keep: does not match).
//   - keepequal / dropequal: keep / drop when the source value equals target_label's value.
//   - hashmod: target_label = (last 8 bytes of md5(source value), big-endian) % modulus.
//   - lowercase / uppercase: target_label = the source value in lower / upper case (ASCII).
//   - labelmap: every label whose name matches regex is copied to the expanded replacement.
//   - labeldrop / labelkeep: remove the labels whose names match / do not match regex.
// Defaults: separator ";", regex "(.*)", replacement "$1", action replace.
//
// Thread safety: a compiled Relabeler is immutable and may be used from any number of threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"

namespace opsight::collect {

enum class RelabelAction {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLowercase,
  kUppercase,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
};

// "replace", "keep", ... (case-insensitive, as Prometheus accepts them).
Result<RelabelAction> parse_relabel_action(std::string_view s);
std::string_view relabel_action_name(RelabelAction a);

struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;
};

class Relabeler {
 public:
  Relabeler() = default;  // no rules: every label set passes unchanged

  // Validates each rule as Prometheus does (e.g. replace needs target_label, hashmod a
  // non-zero modulus, labeldrop only a regex) and compiles the regexes. Errors name
  // "<where>[i]" and the rule.
  static Result<Relabeler> compile(const std::vector<RelabelConfig>& configs,
                                   std::string_view where);

  bool empty() const { return rules_.empty(); }

  // Applies the rules in order to *labels (sorted by name, unique names). Returns false when a
  // rule drops the set (*labels is then unspecified). Labels left with an empty value are
  // removed; the result stays sorted.
  bool apply(std::vector<Label>* labels) const;
  // The same on a Labels value: nullopt when dropped.
  std::optional<Labels> apply(const Labels& labels) const;

  struct Rule;

 private:
  std::vector<std::shared_ptr<const Rule>> rules_;
};

}  // namespace opsight::collect
