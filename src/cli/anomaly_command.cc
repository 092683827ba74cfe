#include "cli/anomaly_command.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "anomaly/series_csv.h"
#include "anomaly/streaming_detector.h"
#include "cli/input_file.h"

namespace opsight::cli {
namespace {

void append_number(std::string* out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.9g", v);
  out->append(buf, static_cast<size_t>(n));
}

std::string explain_csv(const anomaly::CsvSeries& series) {
  anomaly::StreamingDetector detector;
  std::string out = "timestamp,value,anomaly_score,feature,expected,lower,upper,component\n";
  for (size_t i = 0; i < series.values.size(); i++) {
    double s = detector.score(series.ts_ms[i], series.values[i]);
    const anomaly::DetectorVerdict& v = detector.last();
    out += series.timestamp_text[i];
    out.push_back(',');
    out += series.value_text[i];
    out.push_back(',');
    append_number(&out, s);
    out.push_back(',');
    out += v.feature;
    out.push_back(',');
    if (v.has_model) {
      append_number(&out, v.model.expected);
      out.push_back(',');
      append_number(&out, v.model.lower);
      out.push_back(',');
      append_number(&out, v.model.upper);
      out.push_back(',');
      out += anomaly::component_name(v.model.component);
    } else {
      out += ",,,";
    }
    out.push_back('\n');
  }
  return out;
}

int run_score(const std::string& path, const std::string& output, bool explain) {
  std::string text;
  if (!read_input(path, &text)) {
    std::fprintf(stderr, "opsight anomaly score: cannot read %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  Result<anomaly::CsvSeries> series = anomaly::parse_series_csv(text);
  if (!series.ok()) {
    std::fprintf(stderr, "opsight anomaly score: %s: %s\n", path.c_str(),
                 series.status().message().c_str());
    return 1;
  }
  std::string out = explain ? explain_csv(*series) : anomaly::score_series_csv(*series);
  FILE* f = output.empty() || output == "-" ? stdout : std::fopen(output.c_str(), "wb");
  if (f == nullptr) {
    std::fprintf(stderr, "opsight anomaly score: cannot write %s: %s\n", output.c_str(),
                 std::strerror(errno));
    return 1;
  }
  bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size() && std::fflush(f) == 0;
  if (f != stdout) ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::fprintf(stderr, "opsight anomaly score: writing %s: %s\n",
                 output.empty() ? "stdout" : output.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace

void add_anomaly_command(CLI::App& app) {
  auto* anomaly = app.add_subcommand("anomaly", "Anomaly detection over files (offline)");
  anomaly->require_subcommand(1);
  auto* score = anomaly->add_subcommand(
      "score", "Score a timestamp,value CSV: prints timestamp,value,anomaly_score");
  struct Args {
    std::string path;
    std::string output;
    bool explain = false;
  };
  auto args = std::make_shared<Args>();
  score->add_option("FILE", args->path, "timestamp,value CSV (NAB format; - for stdin)")
      ->required();
  score->add_option("--output,-o", args->output, "Write the scored CSV here (default stdout)");
  score->add_flag("--explain", args->explain, "Add feature,expected,lower,upper,component columns");
  score->callback([args] { std::exit(run_score(args->path, args->output, args->explain)); });
}

}  // namespace opsight::cli
