// nab_detect: the StreamingDetector of `opsight anomaly score` as a standalone tool for the NAB
// benchmark (bench/nab/README.md), so the detector can be scored without the server binary.
//   nab_detect FILE.csv [name=value ...]            scored CSV on stdout
//   nab_detect --all NAB_DIR OUT_DIR [name=value ...]  every NAB_DIR/data/*/*.csv to OUT_DIR
// name=value overrides a DetectorOptions field (for experiments; the defaults are what ships).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "anomaly/series_csv.h"

namespace fs = std::filesystem;
using opsight::anomaly::DetectorOptions;

namespace {

// clang-format off
bool set_option(DetectorOptions* o, const std::string& kv) {
  size_t eq = kv.find('=');
  if (eq == std::string::npos) return false;
  std::string k = kv.substr(0, eq);
  double v = std::atof(kv.c_str() + eq + 1);
  auto size = [&](size_t* field) { *field = static_cast<size_t>(v); };
  if (k == "warmup_points") size(&o->warmup_points);
  else if (k == "reference_factor") size(&o->reference_factor);
  else if (k == "min_reference") size(&o->min_reference);
  else if (k == "calibration_points") size(&o->calibration_points);
  else if (k == "calibration_min") size(&o->calibration_min);
  else if (k == "suppress_points") size(&o->suppress_points);
  else if (k == "tail_quantile") o->tail_quantile = v;
  else if (k == "calibration_prior") o->calibration_prior = v;
  else if (k == "seasonal") o->seasonal = v != 0;
  else if (k == "spread") o->spread = v != 0;
  else if (k == "context_length") size(&o->context_length);
  else if (k == "context_resolution") o->context_resolution = v;
  else if (k == "context_weight") o->context_weight = v;
  else if (k == "alarm_surprise") o->alarm_surprise = v;
  else if (k == "suppress_factor") o->suppress_factor = v;
  else if (k == "escalation") o->escalation = v;
  else if (k == "novelty_length") size(&o->novelty_length);
  else if (k == "novelty_history") size(&o->novelty_history);
  else if (k == "score_scale") o->score_scale = v;
  else if (k == "scales") {
    o->scales.clear();
    std::stringstream ss(kv.substr(eq + 1));
    std::string item;
    while (std::getline(ss, item, ':')) o->scales.push_back(std::stoul(item));
  } else {
    return false;
  }
  return true;
}
// clang-format on

bool score_file(const fs::path& in, std::string* out, const DetectorOptions& o) {
  std::ifstream f(in, std::ios::binary);
  std::stringstream buf;
  buf << f.rdbuf();
  auto series = opsight::anomaly::parse_series_csv(buf.str());
  if (!series.ok()) {
    std::fprintf(stderr, "%s: %s\n", in.c_str(), series.status().to_string().c_str());
    return false;
  }
  if (std::getenv("NAB_DEBUG") == nullptr) {
    *out = opsight::anomaly::score_series_csv(*series, o);
    return true;
  }
  // Debug: the feature behind each score as a fourth column.
  opsight::anomaly::StreamingDetector d(o);
  *out = "timestamp,value,anomaly_score,feature\n";
  for (size_t i = 0; i < series->values.size(); i++) {
    double s = d.score(series->ts_ms[i], series->values[i]);
    const auto& v = d.last();
    *out += series->timestamp_text[i] + "," + series->value_text[i] + "," + std::to_string(s) +
            "," + std::string(v.feature) + ":" + std::to_string(v.scale) +
            (v.has_model ? "+m" : "") + "\n";
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  DetectorOptions o;
  bool all = !args.empty() && args[0] == "--all";
  size_t first_kv = all ? 3 : 1;
  if (args.size() < first_kv) {
    std::fprintf(stderr, "usage: nab_detect FILE.csv | --all NAB_DIR OUT_DIR [name=value ...]\n");
    return 2;
  }
  for (size_t i = first_kv; i < args.size(); i++) {
    if (!set_option(&o, args[i])) {
      std::fprintf(stderr, "unknown option %s\n", args[i].c_str());
      return 2;
    }
  }
  if (!all) {
    std::string out;
    if (!score_file(args[0], &out, o)) return 1;
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  fs::path data = fs::path(args[1]) / "data";
  size_t rows = 0;
  auto start = std::chrono::steady_clock::now();
  for (const auto& cat : fs::directory_iterator(data)) {
    if (!cat.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(cat.path())) {
      if (file.path().extension() != ".csv") continue;
      std::string out;
      if (!score_file(file.path(), &out, o)) return 1;
      fs::path dst = fs::path(args[2]) / cat.path().filename() / file.path().filename();
      fs::create_directories(dst.parent_path());
      std::ofstream(dst, std::ios::binary) << out;
      for (char c : out) rows += c == '\n';
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%zu rows in %.2f s\n", rows, secs);
  return 0;
}
