// Fuzz target: the rule file parser and the alert template parser/evaluator never crash. The
// input is parsed as a whole rule file; then as one template, which, when it parses, is
// expanded with fixed data (expansion errors must be error values).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/rule_file.h"
#include "rules/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight;
  if (size > 64 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto groups = rules::parse_rule_file(in, "fuzz.yml");
  if (!groups.ok() && groups.status().message().empty()) std::abort();
  auto t = rules::Template::parse(in, "fuzz");
  if (!t.ok()) return 0;
  Labels labels{{"__name__", "up"}, {"instance", "h:9100"}, {"job", "node"}};
  Labels external{{"cluster", "eu1"}};
  for (double v : {0.0, 1.5, -3e9, 1e-7}) {
    rules::TemplateData d{&labels, &external, "http://x", v};
    auto r = t->expand(d);
    if (!r.ok() && r.status().message().empty()) std::abort();
  }
  return 0;
}
