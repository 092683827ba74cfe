#pragma once
// Reading a command's input file: a path, or "-" for standard input (whole, binary).

#include <string>

namespace opsight::cli {

// Appends the whole of `path` ("-" = stdin) to *out; false when it cannot be opened or read.
bool read_input(const std::string& path, std::string* out);

}  // namespace opsight::cli
