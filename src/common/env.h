#pragma once
// Env: all file-system access of the storage engine goes through this interface (LevelDB's
// Env idea), so tests can inject faults: short writes, failed fsyncs, crashes that drop
// unsynced data. Env::posix() is the real one. Implementations are thread-safe; a file object
// is used by one thread at a time unless it says otherwise.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status append(std::string_view data) = 0;
  // Pushes buffered data to the OS (no durability promise).
  virtual Status flush() = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status sync() = 0;
  virtual Status close() = 0;
  // Bytes appended so far (including the size the file had when opened for append).
  virtual uint64_t size() const = 0;
};

class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into scratch; *result points into scratch. Empty result at EOF.
  virtual Status read(size_t n, char* scratch, std::string_view* result) = 0;
};

// Thread-safe: several readers may read concurrently.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual Status read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const = 0;
  virtual uint64_t size() const = 0;
};

class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* posix();

  // Truncates an existing file unless `append` is set.
  virtual Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path,
                                                                  bool append = false) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> new_sequential_file(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) = 0;

  virtual bool file_exists(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> get_children(const std::string& dir) = 0;
  virtual Status remove_file(const std::string& path) = 0;
  // Removes a directory and everything below it.
  virtual Status remove_dir_all(const std::string& path) = 0;
  // Creates the directory and its missing parents.
  virtual Status create_dirs(const std::string& path) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status truncate(const std::string& path, uint64_t size) = 0;
  // fsync of a directory, so that a create, rename or remove in it is durable.
  virtual Status sync_dir(const std::string& dir) = 0;
  virtual Result<uint64_t> file_size(const std::string& path) = 0;
  // An exclusive advisory lock held until the returned object is destroyed.
  virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) = 0;

  // Helpers built on the primitives above.
  Result<std::string> read_file(const std::string& path);
  // Writes `data` to path.tmp, syncs it, renames it over `path` and syncs the directory.
  Status write_file_atomic(const std::string& path, std::string_view data);
};

// "a/b" + "c" -> "a/b/c"
std::string join_path(std::string_view dir, std::string_view name);
std::string dir_name(std::string_view path);

}  // namespace opsight
