#include "aiops/respond/respond_settings.h"

#include <fmt/format.h>

#include <set>

namespace opsight::aiops::respond {

Status validate_respond_config(const RespondConfig& c) {
  std::set<std::string> names;
  for (size_t i = 0; i < c.notify.size(); i++) {
    const std::string where = fmt::format("incidents.notify[{}]", i);
    RETURN_IF_ERROR(validate_notify_target(c.notify[i], where));
    if (!names.insert(c.notify[i].name).second) {
      return Status::invalid_argument(fmt::format(
          "{}.name \"{}\" is used twice: target names must be unique", where, c.notify[i].name));
    }
  }
  names.clear();
  for (size_t i = 0; i < c.runbooks.size(); i++) {
    const std::string where = fmt::format("runbooks[{}]", i);
    RETURN_IF_ERROR(validate_runbook(c.runbooks[i], where));
    if (!names.insert(c.runbooks[i].name).second) {
      return Status::invalid_argument(fmt::format(
          "{}.name \"{}\" is used twice: runbook names must be unique", where, c.runbooks[i].name));
    }
  }
  return validate_summarizer(c.summarizer, "summarizer");
}

}  // namespace opsight::aiops::respond
