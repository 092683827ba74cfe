#include "common/version.h"

#ifndef OPSIGHT_VERSION
#error "OPSIGHT_VERSION is set by src/CMakeLists.txt"
#endif

namespace opsight {

std::string_view version() {
  return OPSIGHT_VERSION;
}

}  // namespace opsight
