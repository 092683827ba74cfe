#pragma once
// A temporary directory removed at the end of the test.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include "testing/temp_dir.h"

namespace opsight::collect::testing {

using TempDir = ::opsight::testing::TempDir;

}  // namespace opsight::collect::testing
