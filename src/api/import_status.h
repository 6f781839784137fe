// The progress of an import (bringing an existing instance under a group), in MIGRATE_* states
// derived from the import workflow's step:
//
//   MIGRATE_PREPARING        describe_source, protect_eni
//   MIGRATE_SNAPSHOTTING     snapshot_source, wait_source_snapshots
//   MIGRATE_STOPPING_SOURCE  terminate_source, wait_source_terminated
//   MIGRATE_IMAGING          drain .. retire_superseded (final snapshots, image registration)
//   MIGRATE_LAUNCHING        choose_placement .. mark_active (the replacement comes up)
//   MIGRATE_SUCCEEDED        the workflow succeeded: the SSI is ACTIVE
//   MIGRATE_FAILED           the workflow failed at `step` (retry the SSI, or cancel)
//   MIGRATE_CANCELLED        cancelled; the SSI is being (or was) deallocated
//
// Cancelling is possible while the source instance is untouched: PREPARING and SNAPSHOTTING.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"

namespace spotkeeper::api {

std::string ImportState(const WorkflowRecord& wf);
bool ImportCancellable(const WorkflowRecord& wf);

// {id, statefulInstanceId, groupId, originalInstanceId, shouldKeepPrivateIp,
//  shouldTerminateInstance, state, step, stepIndex, stepCount, attempt, cancellable, error,
//  workflowId, startedAt, updatedAt, statefulInstance {state, instanceId, privateIp}}.
nlohmann::json ImportJson(const SsiRecord& ssi, const WorkflowRecord& wf);

}  // namespace spotkeeper::api
