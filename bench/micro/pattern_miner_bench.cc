// Log pattern mining (query/patterns/pattern_miner.h) on real logs: the Loghub 2k samples of
// every system, concatenated (16,000 lines, headers included). items_per_second = lines/s on
// one core. Counters: lines and patterns per iteration (a run that mined nothing fails).
//
//   build-rel/bench/pattern_miner_bench
//
// Data: $OPSIGHT_LOGHUB, else ../shared/data/loghub next to the repository (Loghub,
// github.com/logpai/loghub; see LICENSE and CITATION there).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "query/patterns/pattern_miner.h"

namespace {

namespace fs = std::filesystem;
using opsight::query::patterns::mine;
using opsight::query::patterns::MinerOptions;

struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;
};

fs::path data_dir() {
  if (const char* env = std::getenv("OPSIGHT_LOGHUB")) return env;
  return fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "shared" / "data" / "loghub";
}

const Corpus& corpus(int copies) {
  static Corpus* cached[2] = {nullptr, nullptr};
  Corpus*& c = cached[copies == 1 ? 0 : 1];
  if (c != nullptr) return *c;
  c = new Corpus;
  std::string once;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(data_dir(), ec)) {
    fs::path log = e.path() / (e.path().filename().string() + "_2k.log");
    if (fs::is_regular_file(log)) files.push_back(log);
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    once += ss.str();
    if (!once.empty() && once.back() != '\n') once += '\n';
  }
  for (int i = 0; i < copies; i++) c->text += once;
  std::string_view t = c->text;
  while (!t.empty()) {
    size_t nl = t.find('\n');
    c->lines.push_back(t.substr(0, nl));
    t.remove_prefix(nl + 1);
  }
  return *c;
}

void run(benchmark::State& state, int copies, bool split_header) {
  const Corpus& c = corpus(copies);
  if (c.lines.empty()) {
    state.SkipWithError("no Loghub *_2k.log files found (set OPSIGHT_LOGHUB)");
    return;
  }
  MinerOptions options;
  options.split_header = split_header;
  size_t patterns = 0;
  for (auto _ : state) {
    auto r = mine(c.lines, options);
    patterns = r.patterns.size();
    benchmark::DoNotOptimize(r);
  }
  if (patterns == 0) state.SkipWithError("mined no patterns");
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.lines.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(c.text.size()));
  state.counters["lines"] = static_cast<double>(c.lines.size());
  state.counters["patterns"] = static_cast<double>(patterns);
}

// The 16,000 Loghub lines once.
void BM_MineLoghub(benchmark::State& state) {
  run(state, 1, true);
}
// The same lines repeated 16 times (256,000 lines): larger groups, same templates.
void BM_MineLoghubX16(benchmark::State& state) {
  run(state, 16, true);
}
// Without header detection (bare messages).
void BM_MineLoghubNoHeaderSplit(benchmark::State& state) {
  run(state, 1, false);
}

BENCHMARK(BM_MineLoghub)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MineLoghubX16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MineLoghubNoHeaderSplit)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
