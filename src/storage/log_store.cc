#include "storage/log_store.h"

#include <algorithm>

namespace opsight::storage {

bool valid_log_retention_days(int days) {
  return days == 0 || std::find(std::begin(kLogRetentionDays), std::end(kLogRetentionDays), days) !=
                          std::end(kLogRetentionDays);
}

}  // namespace opsight::storage
