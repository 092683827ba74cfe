#include "common/labels.h"

#include <algorithm>

#include "common/hash.h"

namespace opsight {

Labels::Labels(std::vector<Label> labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  labels_.reserve(labels.size());
  for (auto& l : labels) {
    if (!labels_.empty() && labels_.back().name == l.name) {
      labels_.back() = std::move(l);
    } else {
      labels_.push_back(std::move(l));
    }
  }
  std::erase_if(labels_, [](const Label& l) { return l.value.empty(); });
}

Labels Labels::from_sorted(std::vector<Label> labels) {
  Labels l;
  l.labels_ = std::move(labels);
  return l;
}

std::string_view Labels::get(std::string_view name) const {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels_.end() && it->name == name) return it->value;
  return {};
}

bool Labels::has(std::string_view name) const {
  return !get(name).empty();
}

uint64_t Labels::hash() const {
  XxHash64 h(0);
  static constexpr char kSep = '\xff';
  for (const auto& l : labels_) {
    h.update(l.name);
    h.update(std::string_view(&kSep, 1));
    h.update(l.value);
    h.update(std::string_view(&kSep, 1));
  }
  return h.digest();
}

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  out += '"';
}

std::string labels_to_string(std::span<const LabelView> labels) {
  std::string out;
  for (const auto& l : labels) {
    if (l.name == kMetricName) out = l.value;
  }
  out += '{';
  bool first = true;
  for (const auto& l : labels) {
    if (l.name == kMetricName) continue;
    if (!first) out += ", ";
    first = false;
    out += l.name;
    out += '=';
    append_quoted(out, l.value);
  }
  out += '}';
  return out;
}

void Labels::append_views(std::vector<LabelView>* out) const {
  for (const auto& l : labels_) out->push_back({l.name, l.value});
}

std::string Labels::to_string() const {
  std::vector<LabelView> views;
  views.reserve(labels_.size());
  append_views(&views);
  return labels_to_string(views);
}

Labels Labels::without_reserved() const {
  std::vector<Label> out;
  out.reserve(labels_.size());
  for (const auto& l : labels_) {
    if (l.name.starts_with("__") && l.name != kMetricName) continue;
    out.push_back(l);
  }
  return from_sorted(std::move(out));
}

LabelsBuilder& LabelsBuilder::set(std::string_view name, std::string_view value) {
  for (auto& l : labels_) {
    if (l.name == name) {
      l.value = std::string(value);
      return *this;
    }
  }
  labels_.push_back({std::string(name), std::string(value)});
  return *this;
}

}  // namespace opsight
