// The JSON the API answers with for groups, stateful instances, events and imports (field names
// after Elastigroup's where they fit; times are RFC 3339 UTC strings, "" when unset).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace spotkeeper::api {

// "" for the epoch (never set), else FormatTime.
std::string TimeJson(Time t);

nlohmann::json ConditionJson(const Condition& c);

// One recovery as the controller keeps it in an SSI's status ({reason, workflow, totalMs,
// downtimeMs, milestones as epoch ms}): {reason, workflowId, totalMs, downtimeMs, startedAt,
// timings {milestone: time}, phasesMs {terminated, released, running, attached, active: ms
// from the trigger}}; null for anything else.
nlohmann::json RecoveryJson(const nlohmann::json& rec);

// {id, name, generation, createdAt, updatedAt, spec, status: {phase, capacity,
// statefulInstances {total, byState}, conditions, deallocation}}. `ssis`: the group's SSIs.
nlohmann::json GroupJson(const GroupRecord& g, const std::vector<SsiRecord>& ssis);

// {id, groupId, state, desiredState, instanceId, privateIp, imageId, instanceType, lifeCycle,
//  availabilityZone, subnetId, networkInterfaceId, devices [{deviceName, volumeId, snapshotId}],
//  launchedAt, createdAt, updatedAt, observedGeneration, conditions, lastRecovery,
//  pendingAction, workflow, snapshots, images}.
// `resources`: the SSI's resources (all statuses); `workflow`: its newest workflow, if any;
// `spec_image`: the group spec's imageId, shown while the SSI has no image of its own yet.
nlohmann::json SsiJson(const SsiRecord& s, const std::vector<ResourceRecord>& resources,
                       const std::optional<WorkflowRecord>& workflow,
                       const std::string& spec_image = "");

// {seq, at, groupId, statefulInstanceId, actor, kind, message}.
nlohmann::json EventJson(const EventRecord& e);

}  // namespace spotkeeper::api
