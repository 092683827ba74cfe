#pragma once
// Alert templates: the subset of Go's text/template (pkg.go.dev/text/template) that Prometheus
// alerting rules use in labels and annotations (prometheus.io/docs/prometheus/latest/
// configuration/template_reference/ and template_examples/), written here from those documents.
//
// Supported
// - Text and actions `{{ ... }}`, trim markers `{{- ` / ` -}}`, comments `{{/* ... */}}`.
// - Operands: `$labels.x`, `$externalLabels.x`, `$externalURL`, `$value`, `$` and the dot
//   forms `.Labels.x`, `.ExternalLabels.x`, `.ExternalURL`, `.Value`; string ("..." and `...`),
//   number and bool literals; parenthesised pipelines.
// - Pipelines with `|` (the piped value is the last argument).
// - `{{ if p }} ... {{ else if p }} ... {{ else }} ... {{ end }}`.
// - Functions: and or not eq ne lt le gt ge len index print printf urlquery; Prometheus's
//   humanize humanize1024 humanizeDuration humanizePercentage humanizeTimestamp toUpper toLower
//   title stripPort match reReplaceAll safeHtml.
// Unknown functions, undefined variables and syntax errors fail parse() (load time); errors at
// expansion (e.g. printf of a map) fail expand(), which Prometheus renders as
// "<error expanding template: ...>". A missing label expands to "" (Prometheus sets
// missingkey=zero). Numeric comparisons accept a float against an int literal (Go would refuse
// `gt $value 10`; writing 10.0 works in both).
//
// Thread safety: a parsed Template is immutable; expand() may run on several threads at once.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"

namespace opsight::rules {

// What `$labels`, `$value`, ... refer to while expanding.
struct TemplateData {
  const Labels* labels = nullptr;
  const Labels* external_labels = nullptr;
  std::string_view external_url;
  double value = 0;
};

class Template {
 public:
  struct Node;  // the parsed tree (template.cc)

  // Parses `text`; `name` prefixes error messages (e.g. "annotation summary").
  static Result<Template> parse(std::string_view text, std::string_view name = "");
  // Expands with `data`.
  Result<std::string> expand(const TemplateData& data) const;
  // expand(), with a failure written as Prometheus does: "<error expanding template: ...>".
  std::string expand_or_error(const TemplateData& data) const;
  // True when the text has no action, so expansion returns it unchanged.
  bool is_plain() const { return plain_; }

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
  std::string name_;
  bool plain_ = true;
};

// Prometheus's humanize functions (template/template.go), exposed for tests and reuse.
std::string humanize(double v);
std::string humanize1024(double v);
std::string humanize_duration(double seconds);
std::string humanize_percentage(double ratio);
// Go's fmt %v of a float64 (strconv 'g', shortest): 1 -> "1", 1e6 -> "1e+06", NaN -> "NaN".
std::string go_format_float(double v);
// Go's url.QueryEscape: [A-Za-z0-9-_.~] kept, space -> '+', everything else %XX.
std::string go_query_escape(std::string_view s);

}  // namespace opsight::rules
