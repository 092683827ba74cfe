// Fuzz target: arbitrary bytes as WAL segment files, replayed by storage::wal::Wal.
//
// Input layout: byte 0 = flags; if (flags & 1), bytes 1..4 are a little-endian u32 split point
// and the rest is cut there into 00000001.wal (an older segment) and 00000002.wal (the newest);
// otherwise the rest is 00000001.wal. Replay must never crash or hang; it returns records, a
// cut tail, or Corruption. Invariant checked after a successful replay: appending one record
// and replaying again yields exactly the same records plus that one, with nothing cut.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "storage/wal/wal.h"

namespace {

namespace fs = std::filesystem;
using opsight::OkStatus;
using opsight::Status;
using opsight::storage::wal::Options;
using opsight::storage::wal::ReplayStats;
using opsight::storage::wal::Wal;

// A scratch directory on tmpfs when available (fsync is then cheap), removed at exit.
const std::string& fuzz_dir() {
  static const std::string* dir = [] {
    fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    auto* d = new std::string(  // never destroyed, so the atexit hook may still use it
        (base / ("opsight_wal_replay_fuzz_" + std::to_string(::getpid()))).string());
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fuzz_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

void write_file(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Replays everything; returns the status and the payloads.
Status replay_all(const Options& o, std::vector<std::string>* out, ReplayStats* stats,
                  std::unique_ptr<Wal>* keep) {
  auto wal = Wal::open(o);
  if (!wal.ok()) return wal.status();
  Status st = (*wal)->replay(
      0,
      [&](uint64_t, std::string_view p) {
        out->emplace_back(p);
        return OkStatus();
      },
      stats);
  *keep = std::move(wal).value();
  return st;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = fuzz_dir();
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  uint8_t flags = in.empty() ? 0 : static_cast<uint8_t>(in[0]);
  in.remove_prefix(in.empty() ? 0 : 1);
  if ((flags & 1) != 0 && in.size() >= 4) {
    uint32_t split;
    std::memcpy(&split, in.data(), 4);
    in.remove_prefix(4);
    split = static_cast<uint32_t>(std::min<size_t>(split, in.size()));
    write_file(fs::path(dir) / "00000001.wal", in.substr(0, split));
    write_file(fs::path(dir) / "00000002.wal", in.substr(split));
  } else {
    write_file(fs::path(dir) / "00000001.wal", in);
  }

  Options o;
  o.dir = dir;
  o.max_record_bytes = 1 << 20;
  std::vector<std::string> first;
  ReplayStats stats;
  std::unique_ptr<Wal> wal;
  Status st = replay_all(o, &first, &stats, &wal);
  if (wal == nullptr || !st.ok()) return 0;  // Corruption is a valid answer
  if (!wal->append("fuzz").ok()) std::abort();
  if (!wal->close().ok()) std::abort();
  wal.reset();

  std::vector<std::string> second;
  ReplayStats stats2;
  st = replay_all(o, &second, &stats2, &wal);
  if (!st.ok() || stats2.tail_truncated) std::abort();
  first.emplace_back("fuzz");
  if (second != first) std::abort();
  return 0;
}
