#include "api/import_status.h"

#include <set>

#include "api/resource_json.h"
#include "controller/workflow.h"

namespace spotkeeper::api {

std::string ImportState(const WorkflowRecord& wf) {
  if (wf.status == "succeeded") return "MIGRATE_SUCCEEDED";
  if (wf.status == "cancelled") return "MIGRATE_CANCELLED";
  if (wf.status == "failed") return "MIGRATE_FAILED";
  static const std::set<std::string> kPreparing = {"describe_source", "protect_eni"};
  static const std::set<std::string> kSnapshotting = {"snapshot_source", "wait_source_snapshots"};
  static const std::set<std::string> kStopping = {"terminate_source", "wait_source_terminated"};
  static const std::set<std::string> kImaging = {
      "drain",          "terminate",       "wait_terminated",
      "wait_released",  "final_snapshots", "wait_final_snapshots",
      "register_image", "wait_image",      "retire_superseded"};
  if (kPreparing.count(wf.step_name)) return "MIGRATE_PREPARING";
  if (kSnapshotting.count(wf.step_name)) return "MIGRATE_SNAPSHOTTING";
  if (kStopping.count(wf.step_name)) return "MIGRATE_STOPPING_SOURCE";
  if (kImaging.count(wf.step_name)) return "MIGRATE_IMAGING";
  return "MIGRATE_LAUNCHING";
}

bool ImportCancellable(const WorkflowRecord& wf) {
  if (wf.status != "running" && wf.status != "failed") return false;
  WorkflowRecord at_step = wf;
  at_step.status = "running";
  std::string state = ImportState(at_step);
  return state == "MIGRATE_PREPARING" || state == "MIGRATE_SNAPSHOTTING";
}

nlohmann::json ImportJson(const SsiRecord& ssi, const WorkflowRecord& wf) {
  nlohmann::json data = nlohmann::json::parse(wf.data_json, nullptr, false);
  if (!data.is_object()) data = nlohmann::json::object();
  const WorkflowDef* def = FindWorkflowDef("import");
  return {{"id", ssi.id},
          {"statefulInstanceId", ssi.id},
          {"groupId", ssi.group_id},
          {"originalInstanceId", data.value("source_instance", std::string())},
          {"shouldKeepPrivateIp", data.value("keep_private_ip", false)},
          {"shouldTerminateInstance", data.value("terminate_source", false)},
          {"state", ImportState(wf)},
          {"step", wf.step_name},
          {"stepIndex", wf.step},
          {"stepCount", def != nullptr ? def->steps.size() : 0},
          {"attempt", wf.attempt},
          {"cancellable", ImportCancellable(wf)},
          {"error", wf.error},
          {"workflowId", wf.id},
          {"startedAt", TimeJson(wf.created_at)},
          {"updatedAt", TimeJson(wf.updated_at)},
          {"statefulInstance",
           {{"state", SsiStateName(ssi.state)},
            {"instanceId", ssi.instance_id},
            {"privateIp", ssi.private_ip}}}};
}

}  // namespace spotkeeper::api
