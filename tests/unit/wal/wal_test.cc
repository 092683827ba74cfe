#include "storage/wal/wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "common/self_metrics.h"
#include "storage/wal/segment_format.h"
#include "testing/fault_env.h"

namespace opsight::storage::wal {
namespace {

namespace fs = std::filesystem;
using testing::CrashMode;
using testing::FaultEnv;

using Record = std::pair<uint64_t, std::string>;  // segment, payload

std::string random_bytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>(rng());
  return s;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
void write_file(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// A gate that test code opens once; threads wait on it without sleeping.
class Gate {
 public:
  void wait() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return open_; });
  }
  void open() {
    std::lock_guard lk(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("opsight_wal_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    options_.dir = dir_.string();
    options_.env = &env_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Wal> open_wal() {
    auto w = Wal::open(options_);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(w).value() : nullptr;
  }

  // Opens the WAL and replays everything into *out.
  std::unique_ptr<Wal> open_and_replay(std::vector<Record>* out, ReplayStats* stats,
                                       Status* replay_status = nullptr, uint64_t from = 0) {
    auto w = open_wal();
    if (w == nullptr) return nullptr;
    out->clear();
    Status st = w->replay(
        from,
        [&](uint64_t seg, std::string_view p) {
          out->emplace_back(seg, std::string(p));
          return OkStatus();
        },
        stats);
    if (replay_status != nullptr) {
      *replay_status = st;
    } else {
      EXPECT_TRUE(st.ok()) << st.to_string();
    }
    return w;
  }

  fs::path seg_path(uint64_t seg) const { return dir_ / segment_file_name(seg); }

  std::vector<uint64_t> segment_files() const {
    std::vector<uint64_t> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (auto s = parse_segment_file_name(e.path().filename().string())) out.push_back(*s);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  uint64_t total_file_bytes() const {
    uint64_t n = 0;
    for (uint64_t s : segment_files()) n += fs::file_size(seg_path(s));
    return n;
  }

  fs::path dir_;
  FaultEnv env_;
  Options options_;
};

TEST(SegmentFormatTest, FileNamesAreCanonicalDecimal) {
  EXPECT_EQ(segment_file_name(1), "00000001.wal");
  EXPECT_EQ(segment_file_name(123456789), "123456789.wal");
  EXPECT_EQ(parse_segment_file_name("00000042.wal"), 42u);
  EXPECT_EQ(parse_segment_file_name("123456789.wal"), 123456789u);
  EXPECT_FALSE(parse_segment_file_name("000000042.wal"));  // would alias 42
  EXPECT_FALSE(parse_segment_file_name("42.wal"));
  EXPECT_FALSE(parse_segment_file_name("0000004a.wal"));
  EXPECT_FALSE(parse_segment_file_name("00000042.wal.tmp"));
  EXPECT_FALSE(parse_segment_file_name("99999999999999999999999.wal"));  // overflow
  EXPECT_FALSE(parse_segment_file_name("LOCK"));
}

TEST_F(WalTest, RoundTripRandomSizesAcrossRotations) {
  options_.segment_bytes = 2 << 20;
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  std::mt19937_64 rng(7);
  std::vector<Record> want;
  for (int i = 0; i < 120; i++) {
    size_t n = i == 0             ? 0
               : i == 1           ? (1 << 20)
               : (rng() % 4 == 0) ? rng() % ((1 << 20) + 1)
                                  : rng() % 2049;
    std::string payload = random_bytes(rng, n);
    auto pos = wal->enqueue(payload);
    ASSERT_TRUE(pos.ok()) << pos.status().to_string();
    EXPECT_EQ(pos->lsn, static_cast<uint64_t>(i + 1));
    want.emplace_back(pos->segment, std::move(payload));
  }
  ASSERT_TRUE(wal->sync().ok());
  ASSERT_TRUE(wal->close().ok());
  wal.reset();
  EXPECT_GT(segment_files().size(), 3u);

  std::vector<Record> got;
  ReplayStats stats;
  wal = open_and_replay(&got, &stats);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(got[i].first, want[i].first) << "record " << i;
    EXPECT_EQ(got[i].second, want[i].second) << "record " << i;
  }
  EXPECT_FALSE(stats.tail_truncated);
  EXPECT_EQ(stats.records, want.size());
  EXPECT_EQ(stats.segments, segment_files().size());
}

TEST_F(WalTest, GroupCommitSyncsFewerTimesThanAppends) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  constexpr int kThreads = 8, kPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++) {
        auto pos = wal->append("t" + std::to_string(t) + ":" + std::to_string(i));
        if (!pos.ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const int64_t syncs = env_.syncs();
  RecordProperty("syncs", static_cast<int>(syncs));
  EXPECT_GT(syncs, 0);
  EXPECT_LT(syncs, kThreads * kPerThread);
  ASSERT_TRUE(wal->close().ok());
  wal.reset();

  std::vector<Record> got;
  ReplayStats stats;
  wal = open_and_replay(&got, &stats);
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);  // each thread's records come back in its order
  for (const auto& [seg, p] : got) {
    int t = std::stoi(p.substr(1, p.find(':') - 1));
    EXPECT_EQ(p, "t" + std::to_string(t) + ":" + std::to_string(next[t]));
    next[t]++;
  }
}

TEST_F(WalTest, GroupCommitCoversEveryRecordQueuedDuringASync) {
  constexpr int kThreads = 8;
  Gate all_enqueued;
  std::atomic<int> enqueued{0};
  env_.set_before_sync([&] { all_enqueued.wait(); });  // hold the first sync until all queued
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      auto pos = wal->enqueue("r" + std::to_string(t));
      ASSERT_TRUE(pos.ok());
      if (++enqueued == kThreads) all_enqueued.open();
      if (wal->wait_durable(pos->lsn).ok()) ok++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_LE(env_.syncs(), 2);  // the first batch, then everything queued meanwhile
}

TEST_F(WalTest, TornTailAtEveryOffsetOfTheLastRecordIsCut) {
  const std::vector<size_t> sizes = {10, 0, 50, 300, 48};
  std::mt19937_64 rng(3);
  std::vector<std::string> payloads;
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    for (size_t n : sizes) {
      payloads.push_back(random_bytes(rng, n));
      ASSERT_TRUE(wal->append(payloads.back()).ok());
    }
    ASSERT_TRUE(wal->close().ok());
  }
  const std::string pristine = read_file(seg_path(1));
  const uint64_t end = pristine.size();
  const uint64_t start = end - kRecordHeaderSize - sizes.back();

  for (uint64_t cut = start; cut < end; cut++) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_file(seg_path(1), std::string_view(pristine).substr(0, cut));
    {
      std::vector<Record> got;
      ReplayStats stats;
      auto wal = open_and_replay(&got, &stats);
      ASSERT_NE(wal, nullptr);
      ASSERT_EQ(got.size(), sizes.size() - 1);
      for (size_t i = 0; i < got.size(); i++) EXPECT_EQ(got[i].second, payloads[i]);
      EXPECT_EQ(stats.tail_truncated, cut > start);
      if (cut > start) {
        EXPECT_EQ(stats.truncated_segment, 1u);
        EXPECT_EQ(stats.truncated_at, start);
        EXPECT_EQ(stats.dropped_bytes, cut - start);
        EXPECT_FALSE(stats.detail.empty());
      }
      EXPECT_EQ(fs::file_size(seg_path(1)), start);
      auto pos = wal->append("after");
      ASSERT_TRUE(pos.ok());
      EXPECT_EQ(pos->segment, 2u);  // never appends to the replayed file
      ASSERT_TRUE(wal->close().ok());
    }
    std::vector<Record> got;
    ReplayStats stats;
    auto wal = open_and_replay(&got, &stats);
    ASSERT_EQ(got.size(), sizes.size());
    EXPECT_EQ(got.back(), Record(2, "after"));
    EXPECT_FALSE(stats.tail_truncated);
  }
}

TEST_F(WalTest, FlippedBitInTheLastRecordIsCut) {
  std::vector<std::string> payloads = {"alpha", "beta", std::string(48, 'g')};
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    for (const auto& p : payloads) ASSERT_TRUE(wal->append(p).ok());
  }
  const std::string pristine = read_file(seg_path(1));
  const uint64_t start = pristine.size() - kRecordHeaderSize - payloads.back().size();
  for (uint64_t at = start; at < pristine.size(); at++) {
    SCOPED_TRACE("flip at " + std::to_string(at));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string damaged = pristine;
    damaged[at] = static_cast<char>(damaged[at] ^ (1 << (at % 8)));
    write_file(seg_path(1), damaged);
    {
      std::vector<Record> got;
      ReplayStats stats;
      auto wal = open_and_replay(&got, &stats);
      ASSERT_NE(wal, nullptr);
      ASSERT_EQ(got.size(), 2u);
      EXPECT_EQ(got[1].second, "beta");
      EXPECT_TRUE(stats.tail_truncated);
      EXPECT_EQ(stats.truncated_at, start);
      EXPECT_EQ(stats.dropped_bytes, pristine.size() - start);
      ASSERT_TRUE(wal->append("after").ok());
    }
    std::vector<Record> got;
    ReplayStats stats;
    auto wal = open_and_replay(&got, &stats);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got.back(), Record(2, "after"));
  }
}

TEST_F(WalTest, TornSegmentHeaderEmptiesTheSegment) {
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    ASSERT_TRUE(wal->append("x").ok());
  }
  const std::string pristine = read_file(seg_path(1));
  for (size_t cut = 1; cut < kSegmentHeaderSize; cut++) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_file(seg_path(1), std::string_view(pristine).substr(0, cut));
    std::vector<Record> got;
    ReplayStats stats;
    auto wal = open_and_replay(&got, &stats);
    ASSERT_NE(wal, nullptr);
    EXPECT_TRUE(got.empty());
    EXPECT_TRUE(stats.tail_truncated);
    EXPECT_EQ(stats.truncated_at, 0u);
    EXPECT_EQ(stats.dropped_bytes, cut);
    EXPECT_EQ(fs::file_size(seg_path(1)), 0u);
  }
}

TEST_F(WalTest, CorruptionInAnOlderSegmentIsReportedNotCut) {
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    ASSERT_TRUE(wal->append("one").ok());
    ASSERT_TRUE(wal->append("two").ok());
    ASSERT_TRUE(wal->rotate().ok());
    ASSERT_TRUE(wal->append("three").ok());
  }
  std::string seg1 = read_file(seg_path(1));
  const uint64_t second = kSegmentHeaderSize + kRecordHeaderSize + 3;
  seg1[second + kRecordHeaderSize] ^= 0x40;  // payload of "two"
  write_file(seg_path(1), seg1);

  std::vector<Record> got;
  ReplayStats stats;
  Status st;
  auto wal = open_and_replay(&got, &stats, &st);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("00000001.wal"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("offset " + std::to_string(second)), std::string::npos)
      << st.message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, "one");
  EXPECT_FALSE(stats.tail_truncated);
  EXPECT_EQ(fs::file_size(seg_path(1)), seg1.size());  // not truncated
}

TEST_F(WalTest, ForeignHeaderIsCorruptionEvenInTheNewestSegment) {
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    ASSERT_TRUE(wal->append("one").ok());
  }
  fs::rename(seg_path(1), seg_path(5));  // header says 1, name says 5
  std::vector<Record> got;
  ReplayStats stats;
  Status st;
  auto wal = open_and_replay(&got, &stats, &st);
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("00000005.wal"), std::string::npos) << st.message();
  EXPECT_GT(fs::file_size(seg_path(5)), kSegmentHeaderSize);  // left alone
}

TEST_F(WalTest, FailedWriteFailsItsWaitersAndTheWal) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  ASSERT_TRUE(wal->append("kept").ok());
  env_.fail_nth_write(1);
  auto r = wal->append("lost");
  EXPECT_EQ(r.status().code(), Code::kIOError) << r.status().to_string();
  auto later = wal->enqueue("refused");
  EXPECT_EQ(later.status().code(), Code::kUnavailable);
  EXPECT_EQ(wal->rotate().status().code(), Code::kUnavailable);
  EXPECT_FALSE(wal->close().ok());
  wal.reset();

  std::vector<Record> got;
  ReplayStats stats;
  wal = open_and_replay(&got, &stats);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, "kept");
}

TEST_F(WalTest, ShortWriteLeavesATornTailThatReplayCuts) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  ASSERT_TRUE(wal->append("kept").ok());
  env_.fail_nth_write(1, /*partial_bytes=*/7);
  EXPECT_FALSE(wal->append(std::string(100, 'z')).ok());
  wal.reset();

  std::vector<Record> got;
  ReplayStats stats;
  wal = open_and_replay(&got, &stats);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, "kept");
  EXPECT_TRUE(stats.tail_truncated);
  EXPECT_EQ(stats.dropped_bytes, 7u);
}

TEST_F(WalTest, FailedSyncIsNeverAcknowledged) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  ASSERT_TRUE(wal->append("kept").ok());
  env_.fail_nth_sync(1);
  auto r = wal->append("unsynced");
  EXPECT_EQ(r.status().code(), Code::kIOError);
  EXPECT_EQ(wal->sync().code(), Code::kIOError);
  EXPECT_EQ(wal->enqueue("x").status().code(), Code::kUnavailable);
  env_.crash();
  wal.reset();
  env_.restart();

  std::vector<Record> got;
  ReplayStats stats;
  wal = open_and_replay(&got, &stats);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, "kept");
}

// Appenders run until a power loss; afterwards every acknowledged record must be replayed, and
// what is replayed must be exactly the records with LSN 1..k, in order (durability in LSN order).
void crash_test(FaultEnv* env, const std::function<std::unique_ptr<Wal>()>& open, CrashMode mode,
                uint64_t seed) {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, uint64_t> lsn_of;  // every enqueued record
  std::set<std::string> acked, failed;
  auto wal = open();
  ASSERT_NE(wal, nullptr);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; th++) {
    threads.emplace_back([&, th] {
      for (int i = 0;; i++) {
        std::string p =
            "t" + std::to_string(th) + "-" + std::to_string(i) + std::string(i % 97, 'p');
        auto pos = wal->enqueue(p);
        if (!pos.ok()) return;
        {
          std::lock_guard lk(mu);
          lsn_of[p] = pos->lsn;
        }
        Status st = wal->wait_durable(pos->lsn);
        std::lock_guard lk(mu);
        (st.ok() ? acked : failed).insert(p);
        cv.notify_all();
        if (!st.ok()) return;
      }
    });
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return acked.size() >= 300; });
  }
  env->crash(mode, seed);
  for (auto& th : threads) th.join();
  wal.reset();
  env->restart();
  EXPECT_FALSE(failed.empty());

  std::vector<Record> got;
  ReplayStats stats;
  wal = open();
  ASSERT_NE(wal, nullptr);
  ASSERT_TRUE(wal->replay(
                     0,
                     [&](uint64_t seg, std::string_view p) {
                       got.emplace_back(seg, std::string(p));
                       return OkStatus();
                     },
                     &stats)
                  .ok());
  std::set<std::string> replayed;
  for (size_t i = 0; i < got.size(); i++) {
    ASSERT_TRUE(lsn_of.count(got[i].second)) << "replayed a record never enqueued";
    EXPECT_EQ(lsn_of[got[i].second], i + 1) << "replay is not the LSN prefix 1.." << got.size();
    replayed.insert(got[i].second);
  }
  for (const auto& p : acked) EXPECT_TRUE(replayed.count(p)) << "acknowledged record lost: " << p;
}

TEST_F(WalTest, CrashLosesNoAcknowledgedRecord) {
  options_.segment_bytes = 16 << 10;  // crash across segment switches too
  for (uint64_t seed = 1; seed <= 3; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    fs::remove_all(dir_);
    crash_test(
        &env_, [&] { return open_wal(); }, CrashMode::kDropUnsynced, seed);
  }
}

TEST_F(WalTest, CrashWithTornUnsyncedTailLosesNoAcknowledgedRecord) {
  options_.segment_bytes = 16 << 10;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    fs::remove_all(dir_);
    crash_test(
        &env_, [&] { return open_wal(); }, CrashMode::kKeepRandomPrefix, seed);
  }
}

TEST_F(WalTest, IntervalPolicyAcknowledgesAfterWriteAndSyncsOnSyncAndClose) {
  options_.sync = SyncPolicy::kInterval;
  options_.sync_interval_ms = 3'600'000;  // never due during the test
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    for (int i = 0; i < 10; i++) ASSERT_TRUE(wal->append("a" + std::to_string(i)).ok());
    EXPECT_EQ(env_.syncs(), 0);
    env_.crash();  // unsynced: the policy's accepted loss
  }
  env_.restart();
  std::vector<Record> got;
  ReplayStats stats;
  {
    auto wal = open_and_replay(&got, &stats);
    EXPECT_TRUE(got.empty());
    for (int i = 0; i < 10; i++) ASSERT_TRUE(wal->append("b" + std::to_string(i)).ok());
    ASSERT_TRUE(wal->sync().ok());
    EXPECT_EQ(env_.syncs(), 1);
    for (int i = 0; i < 5; i++) ASSERT_TRUE(wal->append("c" + std::to_string(i)).ok());
    env_.crash();
  }
  env_.restart();
  {
    auto wal = open_and_replay(&got, &stats);
    ASSERT_EQ(got.size(), 10u);
    EXPECT_EQ(got.back().second, "b9");
    const int64_t syncs = env_.syncs();
    for (int i = 0; i < 5; i++) ASSERT_TRUE(wal->append("d" + std::to_string(i)).ok());
    EXPECT_EQ(env_.syncs(), syncs);
    ASSERT_TRUE(wal->close().ok());
    EXPECT_EQ(env_.syncs(), syncs + 1);  // close() syncs
    env_.crash();
  }
  env_.restart();
  auto wal = open_and_replay(&got, &stats);
  ASSERT_EQ(got.size(), 15u);
  EXPECT_EQ(got.back().second, "d4");
}

TEST_F(WalTest, RotateAndRemoveBefore) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(wal->current_segment(), 1u);
  auto r = wal->rotate();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1u);  // still empty: already a new segment
  for (uint64_t seg = 1; seg <= 4; seg++) {
    auto pos = wal->append("s" + std::to_string(seg));
    ASSERT_TRUE(pos.ok());
    EXPECT_EQ(pos->segment, seg);
    if (seg < 4) {
      auto next = wal->rotate();
      ASSERT_TRUE(next.ok());
      EXPECT_EQ(*next, seg + 1);
      EXPECT_EQ(wal->current_segment(), seg + 1);
    }
  }
  EXPECT_EQ(segment_files(), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(wal->disk_bytes(), total_file_bytes());
  ASSERT_TRUE(wal->remove_before(3).ok());
  EXPECT_EQ(segment_files(), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(wal->disk_bytes(), total_file_bytes());
  ASSERT_TRUE(wal->remove_before(100).ok());  // never the current segment
  EXPECT_EQ(segment_files(), (std::vector<uint64_t>{4}));
  EXPECT_EQ(wal->disk_bytes(), total_file_bytes());
  ASSERT_TRUE(wal->close().ok());
  wal.reset();

  std::vector<Record> got;
  ReplayStats stats;
  wal = open_and_replay(&got, &stats);
  EXPECT_EQ(got, (std::vector<Record>{{4, "s4"}}));
  EXPECT_EQ(wal->current_segment(), 5u);
}

TEST_F(WalTest, RemoveBeforeWaitsForQueuedRecordsOfOlderSegments) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  std::vector<uint64_t> lsns;
  for (int i = 0; i < 50; i++) lsns.push_back(wal->enqueue("q" + std::to_string(i))->lsn);
  ASSERT_TRUE(wal->rotate().ok());
  ASSERT_TRUE(wal->append("new").ok());
  ASSERT_TRUE(wal->remove_before(2).ok());
  EXPECT_EQ(segment_files(), (std::vector<uint64_t>{2}));
  for (uint64_t lsn : lsns) EXPECT_TRUE(wal->wait_durable(lsn).ok());
}

TEST_F(WalTest, SegmentsRotateAutomaticallyAtSegmentBytes) {
  options_.segment_bytes = 1024;
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  std::vector<Record> want;
  for (int i = 0; i < 100; i++) {
    std::string p(100, static_cast<char>('a' + i % 26));
    auto pos = wal->enqueue(p);
    ASSERT_TRUE(pos.ok());
    want.emplace_back(pos->segment, p);
  }
  ASSERT_TRUE(wal->sync().ok());
  EXPECT_EQ(wal->current_segment(), want.back().first);
  const auto files = segment_files();
  ASSERT_GT(files.size(), 5u);
  for (uint64_t seg : files) {
    // A segment passes segment_bytes by less than one record.
    EXPECT_LT(fs::file_size(seg_path(seg)), options_.segment_bytes + kRecordHeaderSize + 100);
  }
  ASSERT_TRUE(wal->close().ok());
  wal.reset();
  std::vector<Record> got;
  ReplayStats stats;
  wal = open_and_replay(&got, &stats);
  EXPECT_EQ(got, want);
  EXPECT_EQ(stats.segments, files.size());
}

TEST_F(WalTest, ReplayFromSegmentSkipsOlderSegments) {
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    for (int i = 1; i <= 3; i++) {
      ASSERT_TRUE(wal->append("s" + std::to_string(i)).ok());
      ASSERT_TRUE(wal->rotate().ok());
    }
  }
  std::vector<Record> got;
  ReplayStats stats;
  auto wal = open_and_replay(&got, &stats, nullptr, /*from=*/2);
  EXPECT_EQ(got, (std::vector<Record>{{2, "s2"}, {3, "s3"}}));
  EXPECT_EQ(stats.segments, 2u);
}

TEST_F(WalTest, OpenWithoutReplayAppendsToANewSegmentAndRepairsTheOldTail) {
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    for (const char* p : {"one", "two", "three"}) ASSERT_TRUE(wal->append(p).ok());
  }
  fs::resize_file(seg_path(1), fs::file_size(seg_path(1)) - 2);  // torn tail
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    EXPECT_EQ(wal->current_segment(), 2u);
    auto pos = wal->append("four");
    ASSERT_TRUE(pos.ok());
    EXPECT_EQ(pos->segment, 2u);
    EXPECT_GT(pos->lsn, 3u);  // LSNs continue above what is on disk
  }
  std::vector<Record> got;
  ReplayStats stats;
  auto wal = open_and_replay(&got, &stats);
  EXPECT_EQ(got, (std::vector<Record>{{1, "one"}, {1, "two"}, {2, "four"}}));
  EXPECT_FALSE(stats.tail_truncated);  // cut before segment 2 was started
}

TEST_F(WalTest, ReplayMustComeFirstAndOnce) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  auto noop = [](uint64_t, std::string_view) { return OkStatus(); };
  ASSERT_TRUE(wal->replay(0, noop, nullptr).ok());
  EXPECT_EQ(wal->replay(0, noop, nullptr).code(), Code::kFailedPrecondition);
  wal.reset();
  wal = open_wal();
  ASSERT_TRUE(wal->append("x").ok());
  EXPECT_EQ(wal->replay(0, noop, nullptr).code(), Code::kFailedPrecondition);
}

TEST_F(WalTest, ReplayStopsAtTheCallbacksError) {
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    for (const char* p : {"a", "b", "c"}) ASSERT_TRUE(wal->append(p).ok());
  }
  auto wal = open_wal();
  int calls = 0;
  Status st = wal->replay(
      0,
      [&](uint64_t, std::string_view p) {
        calls++;
        return p == "b" ? Status::invalid_argument("bad b") : OkStatus();
      },
      nullptr);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(calls, 2);
}

TEST_F(WalTest, ReplayStoppedEarlyStillCutsTheNewestTailBeforeAppending) {
  {
    auto wal = open_wal();
    ASSERT_NE(wal, nullptr);
    for (const char* p : {"a", "b", "c"}) ASSERT_TRUE(wal->append(p).ok());
  }
  fs::resize_file(seg_path(1), fs::file_size(seg_path(1)) - 1);  // "c" is torn
  {
    auto wal = open_wal();
    Status st = wal->replay(
        0, [](uint64_t, std::string_view) { return Status::cancelled("stop"); }, nullptr);
    EXPECT_EQ(st.code(), Code::kCancelled);
    ASSERT_TRUE(wal->append("d").ok());
  }
  std::vector<Record> got;
  ReplayStats stats;
  auto wal = open_and_replay(&got, &stats);  // segment 1 is no longer the newest: must be clean
  EXPECT_EQ(got, (std::vector<Record>{{1, "a"}, {1, "b"}, {2, "d"}}));
}

TEST_F(WalTest, OversizedRecordIsRejectedAndTheWalStaysUsable) {
  options_.max_record_bytes = 1000;
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  auto r = wal->enqueue(std::string(1001, 'x'));
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("max_record_bytes"), std::string::npos);
  EXPECT_TRUE(wal->append(std::string(1000, 'x')).ok());
}

TEST_F(WalTest, EnqueueBlocksWhenPendingBytesReachTheCap) {
  options_.max_pending_bytes = 4096;
  Gate release;
  env_.set_before_sync([&] { release.wait(); });
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::vector<uint64_t> lsns;
  std::thread producer([&] {
    for (int i = 0; i < 10; i++) {
      auto pos = wal->enqueue(std::string(1000, static_cast<char>('0' + i)));  // 1009 framed
      ASSERT_TRUE(pos.ok());
      std::lock_guard lk(mu);
      lsns.push_back(pos->lsn);
      done++;
      cv.notify_all();
    }
  });
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return done >= 4; });
    // 4 x 1009 bytes fit under 4096; the 5th must wait for the (held) writer.
    EXPECT_EQ(done, 4);
  }
  release.open();
  producer.join();
  for (uint64_t lsn : lsns) EXPECT_TRUE(wal->wait_durable(lsn).ok());
  EXPECT_EQ(lsns.size(), 10u);
}

TEST_F(WalTest, CloseRefusesLaterEnqueues) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  auto pos = wal->enqueue("x");
  ASSERT_TRUE(pos.ok());
  ASSERT_TRUE(wal->close().ok());
  EXPECT_TRUE(wal->wait_durable(pos->lsn).ok());  // close() drained it
  EXPECT_EQ(wal->enqueue("y").status().code(), Code::kUnavailable);
  EXPECT_TRUE(wal->close().ok());
  EXPECT_EQ(wal->wait_durable(99).code(), Code::kInvalidArgument);
}

TEST_F(WalTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  auto second = Wal::open(options_);
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);
}

TEST_F(WalTest, SelfMetricsCountRecordsBatchesAndSyncs) {
  auto& reg = metrics::Registry::global();
  auto* records = reg.counter("opsight_wal_records_total", "");
  auto* bytes = reg.counter("opsight_wal_bytes_total", "");
  auto* syncs = reg.counter("opsight_wal_syncs_total", "");
  auto* errors = reg.counter("opsight_wal_errors_total", "");
  const uint64_t r0 = records->value(), b0 = bytes->value(), s0 = syncs->value(),
                 e0 = errors->value();
  auto wal = open_wal();
  ASSERT_NE(wal, nullptr);
  for (int i = 0; i < 5; i++) ASSERT_TRUE(wal->append("abc").ok());
  EXPECT_EQ(records->value() - r0, 5u);
  EXPECT_EQ(bytes->value() - b0, kSegmentHeaderSize + 5 * (kRecordHeaderSize + 3));
  EXPECT_EQ(syncs->value() - s0, static_cast<uint64_t>(env_.syncs()));
  env_.fail_nth_write(1);
  EXPECT_FALSE(wal->append("x").ok());
  EXPECT_EQ(errors->value() - e0, 1u);
  EXPECT_NE(reg.expose().find("opsight_wal_batch_records_bucket"), std::string::npos);
}

TEST_F(WalTest, InvalidOptionsAreRejected) {
  Options o = options_;
  o.dir = "";
  EXPECT_EQ(Wal::open(o).status().code(), Code::kInvalidArgument);
  o = options_;
  o.segment_bytes = 0;
  EXPECT_EQ(Wal::open(o).status().code(), Code::kInvalidArgument);
  o = options_;
  o.max_record_bytes = 1ull << 33;
  EXPECT_EQ(Wal::open(o).status().code(), Code::kInvalidArgument);
  o = options_;
  o.max_pending_bytes = 0;
  EXPECT_EQ(Wal::open(o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace opsight::storage::wal
