#include "collect/file_sd.h"

#include <fmt/format.h>
#include <glob.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "common/env.h"

namespace opsight::collect {
namespace {

std::set<std::string> expand_globs(const std::vector<std::string>& patterns) {
  std::set<std::string> out;
  for (const auto& p : patterns) {
    glob_t g{};
    if (::glob(p.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; i++) out.insert(g.gl_pathv[i]);
    }
    ::globfree(&g);
  }
  return out;
}

}  // namespace

Result<std::vector<TargetGroup>> parse_file_sd(std::string_view content, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(fmt::format("{}: not valid JSON/YAML: {}", path, e.what()));
  }
  std::vector<TargetGroup> out;
  if (root.IsNull()) return out;
  if (!root.IsSequence()) {
    return Status::invalid_argument(path + ": must be a list of target groups");
  }
  try {
    for (size_t i = 0; i < root.size(); i++) {
      const YAML::Node& g = root[i];
      std::string where = fmt::format("{}: group {}", path, i);
      if (!g.IsMap()) return Status::invalid_argument(where + ": must be a mapping");
      TargetGroup tg;
      tg.source = fmt::format("file_sd:{}:{}", path, i);
      std::vector<Label> labels;
      for (const auto& kv : g) {
        std::string key = kv.first.as<std::string>();
        if (key == "targets") {
          if (!kv.second.IsSequence()) {
            return Status::invalid_argument(where + ": targets must be a list");
          }
          for (const auto& t : kv.second) {
            std::string addr = t.as<std::string>();
            if (addr.empty() || addr.find('/') != std::string::npos) {
              return Status::invalid_argument(
                  fmt::format("{}: \"{}\" is not a valid target address", where, addr));
            }
            tg.targets.push_back(Labels{{"__address__", addr}});
          }
        } else if (key == "labels") {
          if (kv.second.IsNull()) continue;
          if (!kv.second.IsMap()) {
            return Status::invalid_argument(where + ": labels must be a mapping");
          }
          for (const auto& l : kv.second) {
            std::string name = l.first.as<std::string>();
            bool ok = !name.empty() &&
                      (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
            for (char c : name)
              ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
            if (!ok) {
              return Status::invalid_argument(
                  fmt::format("{}: \"{}\" is not a valid label name", where, name));
            }
            labels.push_back({name, l.second.IsNull() ? "" : l.second.as<std::string>()});
          }
        } else {
          return Status::invalid_argument(
              fmt::format("{}: unknown key \"{}\" (expected targets and labels)", where, key));
        }
      }
      labels.push_back({"__meta_filepath", path});
      tg.labels = Labels(std::move(labels));
      out.push_back(std::move(tg));
    }
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(fmt::format("{}: {}", path, e.what()));
  }
  return out;
}

bool FileSd::refresh(int64_t now_ms) {
  std::set<std::string> paths = expand_globs(cfg_.files);
  bool full = first_ || now_ms - last_full_ms_ >= cfg_.refresh_interval_ms;
  bool changed = first_;
  first_ = false;
  if (full) last_full_ms_ = now_ms;
  for (auto it = files_.begin(); it != files_.end();) {
    if (!paths.contains(it->first)) {
      it = files_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) continue;
    int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    auto [it, inserted] = files_.try_emplace(p);
    FileState& f = it->second;
    if (!full && !inserted && f.mtime_ns == mtime && f.size == st.st_size) continue;
    f.mtime_ns = mtime;
    f.size = st.st_size;
    changed = true;
    auto content = Env::posix()->read_file(p);
    if (!content.ok()) {
      f.error = p + ": " + content.status().message();
      continue;
    }
    auto groups = parse_file_sd(*content, p);
    if (!groups.ok()) {
      f.error = groups.status().message();
      continue;
    }
    f.error.clear();
    f.groups = std::move(*groups);
  }
  return changed;
}

std::vector<TargetGroup> FileSd::groups() const {
  std::vector<TargetGroup> out;
  for (const auto& [p, f] : files_) out.insert(out.end(), f.groups.begin(), f.groups.end());
  return out;
}

std::string FileSd::last_error() const {
  std::string out;
  for (const auto& [p, f] : files_) {
    if (f.error.empty()) continue;
    if (!out.empty()) out += "; ";
    out += f.error;
  }
  return out;
}

}  // namespace opsight::collect
