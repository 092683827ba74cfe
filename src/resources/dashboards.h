#pragma once
// Dashboards: CloudWatch's PutDashboard / GetDashboard / ListDashboards / DeleteDashboards
// (Amazon CloudWatch API reference, and the user guide's "Dashboard Body Structure and
// Syntax"), kept as configuration objects of kind "dashboard" in the meta store: name =
// DashboardName, document = the DashboardBody text exactly as given. The AWS front end and the
// web console both use this service.
//
// Rules
// - DashboardName: 1..255 characters of A-Z a-z 0-9 - _ (InvalidParameterValue otherwise).
// - DashboardBody: a JSON object with a "widgets" array of 0..500 widget objects. Each widget
//   needs "type" (metric, text, log, alarm, explorer, custom) and a "properties" object; x is
//   0..23, y >= 0, width 1..24, height 1..1000 (integers, optional). Breaking one of these is an
//   error: nothing is stored and the call fails with "InvalidParameterInput: ..." (the query
//   error code of DashboardInvalidInputError) listing every problem with its data path
//   ("/widgets/2/width").
// - Problems that let the dashboard be stored but may stop a widget from rendering are
//   warnings, returned as DashboardValidationMessages: a widget reaching past column 24
//   (x + width > 24), a metric widget without a "metrics" array, a text widget without a
//   "markdown" string, an alarm widget without an "alarms" array, a log widget without a
//   "query" string.
// - DeleteDashboards: every name must exist, else "ResourceNotFound: ..." (the query error code
//   of DashboardNotFoundError) and nothing is deleted.
//
// Thread safety: thread-safe (the meta store serialises writes). A delete of several
// dashboards checks them all first and then removes each with a version check, so a dashboard
// replaced concurrently between the check and the removal fails the call (already removed
// ones stay removed: the meta store has no multi-object transaction).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/meta/meta_store.h"

namespace opsight::resources {

inline constexpr size_t kMaxDashboardNameBytes = 255;
inline constexpr size_t kMaxDashboardWidgets = 500;
inline constexpr size_t kMaxListDashboards = 1000;  // entries per ListDashboards page

struct DashboardValidationMessage {
  std::string data_path;  // "/widgets/0/width"
  std::string message;
  bool operator==(const DashboardValidationMessage&) const = default;
};

struct Dashboard {
  std::string name;
  std::string arn;
  std::string body;
  int64_t last_modified_ms = 0;
  size_t size = 0;  // bytes of the body
};

struct DashboardPage {
  std::vector<Dashboard> entries;  // by name; body left empty
  std::string next_token;          // "" on the last page
};

// arn:aws:cloudwatch::<account>:dashboard/<name> (dashboards are global: no region).
std::string dashboard_arn(const storage::Tenant& tenant, std::string_view name);
// The dashboard name of `arn` when it is a dashboard ARN of `tenant`'s account, else nullopt.
std::optional<std::string> dashboard_name_from_arn(const storage::Tenant& tenant,
                                                   std::string_view arn);

Status validate_dashboard_name(std::string_view name);
// Errors of the body as one InvalidParameterInput status; warnings into *warnings.
Status validate_dashboard_body(std::string_view body,
                               std::vector<DashboardValidationMessage>* warnings);

class DashboardService {
 public:
  // `meta` must outlive the service.
  explicit DashboardService(storage::meta::MetaStore* meta) : meta_(meta) {}

  // Creates or replaces the dashboard; returns the warnings (empty when the body is clean).
  Result<std::vector<DashboardValidationMessage>> put(const storage::Tenant& tenant,
                                                      std::string_view name, std::string_view body);
  // ResourceNotFound when absent.
  Result<Dashboard> get(const storage::Tenant& tenant, std::string_view name);
  // Dashboards whose name starts with `prefix`, by name, at most `limit` per page;
  // `next_token` from the previous page (InvalidParameterValue when it is not one).
  Result<DashboardPage> list(const storage::Tenant& tenant, std::string_view prefix,
                             std::string_view next_token, size_t limit = kMaxListDashboards);
  // All or nothing (see the header comment).
  Status remove(const storage::Tenant& tenant, const std::vector<std::string>& names);
  // Whether the dashboard exists (tagging checks this).
  Result<bool> exists(const storage::Tenant& tenant, std::string_view name);

 private:
  storage::meta::MetaStore* meta_;
};

}  // namespace opsight::resources
