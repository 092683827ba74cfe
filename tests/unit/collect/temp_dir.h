#pragma once
// A temporary directory removed at the end of the test.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace opsight::collect::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "collect_test_XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    path_ = p != nullptr ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::trunc) << content;
  }

 private:
  std::string path_;
};

}  // namespace opsight::collect::testing
