#pragma once
// Labels: the identity of a metric series (metric name in "__name__" plus sorted name/value
// pairs), as in the Prometheus data model. Immutable once built; cheap to compare and hash.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace opsight {

inline constexpr std::string_view kMetricName = "__name__";
// Reserved labels that carry the tenant of a series inside the storage engine. They are never
// returned to a client as ordinary labels.
inline constexpr std::string_view kAccountLabel = "__account__";
inline constexpr std::string_view kRegionLabel = "__region__";

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
  auto operator<=>(const Label&) const = default;
};

// A label borrowed from memory someone else owns (a request body, a Labels object). Used on the
// ingest hot path so that a series the store already knows costs no allocation.
struct LabelView {
  std::string_view name;
  std::string_view value;
  bool operator==(const LabelView&) const = default;
};

// Prometheus notation of a sorted label set: name{a="b", c="d"} (as Labels::to_string()).
std::string labels_to_string(std::span<const LabelView> labels);

class Labels {
 public:
  Labels() = default;
  // Sorts by name; a later duplicate name replaces an earlier one; empty values are dropped.
  explicit Labels(std::vector<Label> labels);
  Labels(std::initializer_list<Label> labels) : Labels(std::vector<Label>(labels)) {}
  // Trusts the caller: names strictly ascending, no empty values.
  static Labels from_sorted(std::vector<Label> labels);

  // The value of `name`, or "" when absent.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  std::string_view metric_name() const { return get(kMetricName); }

  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  const Label& operator[](size_t i) const { return labels_[i]; }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }
  const std::vector<Label>& vec() const { return labels_; }
  // Appends views of these labels to *out (valid while this Labels lives).
  void append_views(std::vector<LabelView>* out) const;

  // Stable 64-bit hash of the label set (xxHash64 of name\xff value\xff ...).
  uint64_t hash() const;
  // Prometheus notation: name{a="b", c="d"}; labels without a name: {a="b"}.
  std::string to_string() const;
  // Copy without the labels whose names start with "__" except "__name__".
  Labels without_reserved() const;

  bool operator==(const Labels& o) const { return labels_ == o.labels_; }
  bool operator<(const Labels& o) const { return labels_ < o.labels_; }

 private:
  std::vector<Label> labels_;
};

// Builds a label set by edits: set(name, "") deletes.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base) : labels_(base.vec()) {}
  LabelsBuilder& set(std::string_view name, std::string_view value);
  LabelsBuilder& del(std::string_view name) { return set(name, ""); }
  Labels build() const { return Labels(labels_); }

 private:
  std::vector<Label> labels_;
};

// Appends `s` to `out` quoted and escaped as in the Prometheus text format ("a\"b").
void append_quoted(std::string& out, std::string_view s);

}  // namespace opsight
