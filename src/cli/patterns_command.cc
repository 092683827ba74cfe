#include "cli/patterns_command.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/input_file.h"
#include "query/patterns/pattern_miner.h"

namespace opsight::cli {
namespace {

// Lines split on '\n'; a '\r' before it is dropped; no empty last line for a final '\n'.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

void append_hex(std::string* out, uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; i--, v >>= 4) buf[i] = kDigits[v & 15];
  out->append(buf, 16);
}

void append_csv_field(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    if (ch == '"') out->push_back('"');
    out->push_back(ch);
  }
  out->push_back('"');
}

int run_patterns(const std::string& path, size_t max_samples) {
  std::string text;
  if (!read_input(path, &text)) {
    std::fprintf(stderr, "opsight patterns: cannot read %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::vector<std::string_view> lines = split_lines(text);
  query::patterns::MinerOptions options;
  options.max_samples = max_samples;
  query::patterns::MiningResult r = query::patterns::mine(lines, options);

  std::string out;
  out.reserve(lines.size() * 28 + r.patterns.size() * 96);
  out += "line,pattern_id\n";
  for (size_t i = 0; i < lines.size(); i++) {
    out += std::to_string(i + 1);
    out.push_back(',');
    append_hex(&out, r.patterns[r.line_pattern[i]].id);
    out.push_back('\n');
  }
  out += "\npattern_id,count,template\n";
  for (const auto& p : r.patterns) {
    append_hex(&out, p.id);
    out.push_back(',');
    out += std::to_string(p.count);
    out.push_back(',');
    append_csv_field(&out, p.template_text);
    out.push_back('\n');
  }
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "opsight patterns: writing stdout: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace

void add_patterns_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("patterns", "Mine log templates from a file (offline)");
  auto path = std::make_shared<std::string>();
  cmd->add_option("FILE", *path, "Log file, one event per line (- for stdin)")->required();
  cmd->callback([path] { std::exit(run_patterns(*path, 1)); });
}

}  // namespace opsight::cli
