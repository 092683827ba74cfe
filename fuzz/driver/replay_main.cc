// Replays a fuzz corpus without libFuzzer: every file of the corpus directory given as argv[1],
// then 2,000 deterministic mutations of them (bit flips, truncations, splices, random bytes).
// A crash or sanitizer report fails the test; returning normally passes it.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::string> corpus;
  if (argc > 1 && std::filesystem::is_directory(argv[1])) {
    for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
      std::ifstream f(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      corpus.push_back(ss.str());
    }
  }
  corpus.push_back("");
  for (const auto& c : corpus) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  }
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; i++) {
    std::string s = corpus[rng() % corpus.size()];
    int ops = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < ops; k++) {
      switch (rng() % 5) {
        case 0:
          if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 1:
          if (!s.empty()) s.resize(rng() % s.size());
          break;
        case 2: {
          const auto& o = corpus[rng() % corpus.size()];
          if (!o.empty()) s += o.substr(rng() % o.size());
          break;
        }
        case 3:
          s.insert(s.begin() + static_cast<long>(s.empty() ? 0 : rng() % s.size()),
                   static_cast<char>(rng()));
          break;
        case 4:
          if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
          break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("replayed %zu corpus inputs and 2000 mutations\n", corpus.size());
  return 0;
}
