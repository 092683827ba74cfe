#pragma once
// Process logging: JSON lines on stderr ({"ts":...,"level":"info","msg":"..."}), via spdlog.
// Thread-safe. Never log secrets or request bodies.

#include <spdlog/spdlog.h>

namespace opsight::log {

// Installs the JSON formatter and the level ("debug", "info", "warn", "error").
void init(const std::string& level);

template <typename... Args>
void debug(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::debug(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void info(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::info(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::warn(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void error(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::error(fmt, std::forward<Args>(args)...);
}

}  // namespace opsight::log
