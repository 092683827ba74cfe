#pragma once
// The CloudWatch dashboard and tag operations (Amazon CloudWatch API reference, 2010-08-01) as
// CwOperations (cloudwatch_ops.h: AWS JSON 1.0 text in and out, timestamps as epoch seconds):
//   PutDashboard         DashboardName, DashboardBody -> DashboardValidationMessages (warnings;
//                        invalid bodies fail with InvalidParameterInput, resources/dashboards.h)
//   GetDashboard         DashboardName -> DashboardArn, DashboardBody, DashboardName;
//                        ResourceNotFound when absent
//   ListDashboards       DashboardNamePrefix, NextToken -> DashboardEntries (DashboardName,
//                        DashboardArn, LastModified, Size), NextToken (1000 per page)
//   DeleteDashboards     DashboardNames (all must exist; else ResourceNotFound and nothing is
//                        deleted); the dashboards' tags are dropped -> {}
//   TagResource          ResourceARN, Tags [{Key, Value}] -> {}
//   UntagResource        ResourceARN, TagKeys -> {}
//   ListTagsForResource  ResourceARN -> Tags [{Key, Value}] (by key)
// The tag operations accept the ARN of an existing alarm
// (arn:aws:cloudwatch:<region>:<account>:alarm:<name>) or dashboard
// (arn:aws:cloudwatch::<account>:dashboard/<name>) of the caller; any other ARN, including
// another account's, is ResourceNotFoundException.
//
// Thread safety: the operations are thread-safe (the services are).

#include "alarm/alarm_service.h"
#include "api/aws/cloudwatch/cloudwatch_ops.h"
#include "resources/dashboards.h"
#include "resources/tag_store.h"

namespace opsight::api::aws {

struct CwResourceOpsDeps {
  resources::DashboardService* dashboards;
  resources::TagStore* tags;
  alarm::AlarmService* alarms;  // to check that a tagged alarm exists
};

// Adds the seven operations to `table` (replacing entries of the same name). The deps must
// outlive the table.
void add_cloudwatch_resource_ops(CwOperationTable& table, const CwResourceOpsDeps& deps);

}  // namespace opsight::api::aws
