#pragma once
// A fresh directory under the system temp dir for one test, removed with everything in it when
// the TempDir goes out of scope. `prefix` names the test suite in the directory name, so a
// leftover directory says who left it.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace opsight::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "opsight_test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr) << "mkdtemp " << tmpl;
    path_ = p != nullptr ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::trunc) << content;
  }

 private:
  std::string path_;
};

}  // namespace opsight::testing
