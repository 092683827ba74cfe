#pragma once
// FaultEnv: an Env for tests that wraps a real one (Env::posix() by default) and injects the
// failures a storage engine must survive (the idea of LevelDB's FaultInjectionTestEnv):
//
// - fail_nth_write(n, partial): the n-th append() from now fails with IOError, after first
//   writing `partial` bytes of it (a short write).
// - fail_nth_sync(n): the n-th file sync() from now fails with IOError and syncs nothing.
// - crash(): power loss. Every file written through this env is cut back to the size it had at
//   its last successful sync(); a file created through this env whose directory was never
//   sync_dir()'d afterwards disappears. With CrashMode::kKeepRandomPrefix a random prefix of the
//   unsynced bytes survives instead (a torn write). Then the env is down: every mutating call
//   (create, append, sync, truncate, remove, rename, sync_dir) fails with IOError, so the
//   crashed "process" can be torn down without touching the disk. restart() brings the env
//   back for the next "process"; files opened before the crash stay dead.
// - counters: appends(), syncs() (successful file syncs), dir_syncs().
// - before_sync hook: called (outside the env lock) before every file sync, e.g. to hold the
//   writer until a test has queued more records.
//
// Thread-safe. Header-only so that any test directory can include "testing/fault_env.h".

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>

#include "common/env.h"

namespace opsight::testing {

enum class CrashMode { kDropUnsynced, kKeepRandomPrefix };

class FaultEnv final : public Env {
 public:
  explicit FaultEnv(Env* base = Env::posix()) : base_(base) {}

  void fail_nth_write(int n, size_t partial_bytes = 0) {
    std::lock_guard lk(mu_);
    write_countdown_ = n;
    partial_bytes_ = partial_bytes;
  }
  void fail_nth_sync(int n) {
    std::lock_guard lk(mu_);
    sync_countdown_ = n;
  }
  void set_before_sync(std::function<void()> hook) {
    std::lock_guard lk(mu_);
    before_sync_ = std::move(hook);
  }

  void crash(CrashMode mode = CrashMode::kDropUnsynced, uint64_t seed = 1) {
    std::lock_guard lk(mu_);
    std::mt19937_64 rng(seed);
    generation_++;
    down_ = true;
    for (auto it = files_.begin(); it != files_.end();) {
      FileState& f = it->second;
      if (!f.entry_durable) {
        (void)base_->remove_file(it->first);
        it = files_.erase(it);
        continue;
      }
      uint64_t keep = f.synced;
      if (mode == CrashMode::kKeepRandomPrefix && f.size > f.synced) {
        keep += rng() % (f.size - f.synced + 1);
      }
      (void)base_->truncate(it->first, keep);
      f.size = f.synced = keep;
      ++it;
    }
  }

  // Boots the next "process" after crash().
  void restart() {
    std::lock_guard lk(mu_);
    down_ = false;
  }

  int64_t appends() const {
    std::lock_guard lk(mu_);
    return appends_;
  }
  int64_t syncs() const {
    std::lock_guard lk(mu_);
    return syncs_;
  }
  int64_t dir_syncs() const {
    std::lock_guard lk(mu_);
    return dir_syncs_;
  }

  // ---- Env ----
  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path,
                                                          bool append) override {
    std::lock_guard lk(mu_);
    RETURN_IF_ERROR(up_locked());
    bool existed = base_->file_exists(path);
    auto base = base_->new_writable_file(path, append);
    if (!base.ok()) return base.status();
    auto it = files_.find(path);
    if (it == files_.end() || !existed) {
      uint64_t size = append ? (*base)->size() : 0;
      // A file that existed before this env saw it is assumed durable as it stands.
      files_[path] = FileState{size, size, existed};
    } else if (!append) {
      it->second.size = it->second.synced = 0;  // O_TRUNC
    }
    return std::unique_ptr<WritableFile>(
        new File(this, path, std::move(base).value(), generation_));
  }
  Result<std::unique_ptr<SequentialFile>> new_sequential_file(const std::string& path) override {
    return base_->new_sequential_file(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override {
    return base_->new_random_access_file(path);
  }
  bool file_exists(const std::string& path) override { return base_->file_exists(path); }
  Result<std::vector<std::string>> get_children(const std::string& dir) override {
    return base_->get_children(dir);
  }
  Status remove_file(const std::string& path) override {
    std::lock_guard lk(mu_);
    RETURN_IF_ERROR(up_locked());
    files_.erase(path);
    return base_->remove_file(path);
  }
  Status remove_dir_all(const std::string& path) override {
    std::lock_guard lk(mu_);
    RETURN_IF_ERROR(up_locked());
    for (auto it = files_.begin(); it != files_.end();) {
      it = it->first.starts_with(path) ? files_.erase(it) : std::next(it);
    }
    return base_->remove_dir_all(path);
  }
  Status create_dirs(const std::string& path) override {
    {
      std::lock_guard lk(mu_);
      RETURN_IF_ERROR(up_locked());
    }
    return base_->create_dirs(path);
  }
  Status rename(const std::string& from, const std::string& to) override {
    std::lock_guard lk(mu_);
    RETURN_IF_ERROR(up_locked());
    RETURN_IF_ERROR(base_->rename(from, to));
    auto it = files_.find(from);
    if (it != files_.end()) {
      FileState f = it->second;
      f.entry_durable = false;  // until the directory is synced
      files_.erase(it);
      files_[to] = f;
    }
    return OkStatus();
  }
  Status truncate(const std::string& path, uint64_t size) override {
    std::lock_guard lk(mu_);
    RETURN_IF_ERROR(up_locked());
    RETURN_IF_ERROR(base_->truncate(path, size));
    auto it = files_.find(path);
    if (it != files_.end()) {
      it->second.size = std::min(it->second.size, size);
      it->second.synced = std::min(it->second.synced, size);
    }
    return OkStatus();
  }
  Status sync_dir(const std::string& dir) override {
    std::lock_guard lk(mu_);
    RETURN_IF_ERROR(up_locked());
    RETURN_IF_ERROR(base_->sync_dir(dir));
    dir_syncs_++;
    for (auto& [path, f] : files_) {
      if (dir_name(path) == dir || dir_name(path) == dir_name(join_path(dir, "x"))) {
        f.entry_durable = true;
      }
    }
    return OkStatus();
  }
  Result<uint64_t> file_size(const std::string& path) override { return base_->file_size(path); }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    return base_->lock_file(path);
  }

 private:
  Status up_locked() const {
    if (down_) return Status::io_error("simulated power loss: the process is down");
    return OkStatus();
  }

  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool entry_durable = false;
  };

  class File final : public WritableFile {
   public:
    File(FaultEnv* env, std::string path, std::unique_ptr<WritableFile> base, uint64_t gen)
        : env_(env), path_(std::move(path)), base_(std::move(base)), generation_(gen) {}

    Status append(std::string_view data) override {
      std::lock_guard lk(env_->mu_);
      RETURN_IF_ERROR(alive_locked());
      env_->appends_++;
      size_t n = data.size();
      Status injected;
      if (env_->write_countdown_ > 0 && --env_->write_countdown_ == 0) {
        n = std::min(n, env_->partial_bytes_);
        injected = Status::io_error("injected write fault on " + path_);
      }
      Status st = n > 0 ? base_->append(data.substr(0, n)) : OkStatus();
      auto it = env_->files_.find(path_);
      if (it != env_->files_.end()) it->second.size = base_->size();
      RETURN_IF_ERROR(st);
      return injected;
    }
    Status flush() override { return base_->flush(); }
    Status sync() override {
      std::function<void()> hook;
      {
        std::lock_guard lk(env_->mu_);
        hook = env_->before_sync_;
      }
      if (hook) hook();
      std::lock_guard lk(env_->mu_);
      RETURN_IF_ERROR(alive_locked());
      if (env_->sync_countdown_ > 0 && --env_->sync_countdown_ == 0) {
        return Status::io_error("injected sync fault on " + path_);
      }
      RETURN_IF_ERROR(base_->sync());
      env_->syncs_++;
      auto it = env_->files_.find(path_);
      if (it != env_->files_.end()) it->second.synced = it->second.size;
      return OkStatus();
    }
    Status close() override { return base_->close(); }
    uint64_t size() const override { return base_->size(); }

   private:
    Status alive_locked() const {
      if (generation_ != env_->generation_) {
        return Status::io_error("simulated power loss: " + path_ + " is gone");
      }
      return OkStatus();
    }

    FaultEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> base_;
    uint64_t generation_;
  };

  Env* base_;
  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;  // GUARDED_BY(mu_) every file written through us
  uint64_t generation_ = 0;                 // GUARDED_BY(mu_) bumped by crash()
  bool down_ = false;                       // GUARDED_BY(mu_) between crash() and restart()
  int write_countdown_ = 0;                 // GUARDED_BY(mu_)
  size_t partial_bytes_ = 0;                // GUARDED_BY(mu_)
  int sync_countdown_ = 0;                  // GUARDED_BY(mu_)
  int64_t appends_ = 0;                     // GUARDED_BY(mu_)
  int64_t syncs_ = 0;                       // GUARDED_BY(mu_)
  int64_t dir_syncs_ = 0;                   // GUARDED_BY(mu_)
  std::function<void()> before_sync_;       // GUARDED_BY(mu_)
};

}  // namespace opsight::testing
