// components.schemas of the OpenAPI document (see openapi.h). Kept as one JSON text: the shapes
// resource_json.cc and import_status.cc produce.
#include "api/openapi.h"

namespace spotkeeper::api {
namespace {

constexpr const char* kSchemas = R"json({
  "Error": {
    "type": "object", "required": ["code", "message", "details"],
    "properties": {
      "code": {"type": "string", "description": "NotFound, InvalidArgument, FailedPrecondition, AlreadyExists, Unauthenticated, ResourceExhausted, Unavailable, Internal, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType, ..."},
      "message": {"type": "string"},
      "details": {"type": "object", "description": "fieldErrors [{path, message}] for invalid specs; allowedMethods for 405; cloudCode; retryAfterMs", "additionalProperties": true}
    }
  },
  "Condition": {
    "type": "object",
    "properties": {
      "type": {"type": "string", "description": "Ready, Degraded, Progressing, Waiting, Spot, Capacity, Healthy, ..."},
      "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
      "reason": {"type": "string"}, "message": {"type": "string"},
      "observedGeneration": {"type": "integer"},
      "lastTransitionTime": {"type": "string"}
    }
  },
  "GroupSpec": {
    "type": "object", "description": "A group spec as `spotkeeper validate` reads it; see the README (A group spec) and examples/. Unknown fields are errors.",
    "required": ["name", "region", "compute"],
    "properties": {
      "name": {"type": "string"}, "description": {"type": "string"}, "region": {"type": "string"},
      "capacity": {"type": "object", "properties": {"target": {"type": "integer"}, "minimum": {"type": "integer"}, "maximum": {"type": "integer"}}},
      "compute": {"type": "object", "properties": {
        "availabilityZones": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "subnetIds": {"type": "array", "items": {"type": "string"}}}}},
        "instanceTypes": {"type": "object", "properties": {"ondemand": {"type": "string"}, "spot": {"type": "array", "items": {"type": "string"}}}},
        "launchSpecification": {"type": "object", "properties": {
          "imageId": {"type": "string"}, "userData": {"type": "string"},
          "tags": {"type": "array", "items": {"type": "object", "properties": {"tagKey": {"type": "string"}, "tagValue": {"type": "string"}}}},
          "securityGroupIds": {"type": "array", "items": {"type": "string"}},
          "blockDeviceMappings": {"type": "array", "items": {"type": "object", "properties": {"deviceName": {"type": "string"}, "ebs": {"type": "object", "properties": {"volumeSize": {"type": "integer"}, "volumeType": {"type": "string"}, "deleteOnTermination": {"type": "boolean"}}}}}}}},
        "privateIps": {"type": "array", "items": {"type": "string"}}}},
      "strategy": {"type": "object", "properties": {
        "fallbackToOd": {"type": "boolean"},
        "revertToSpot": {"type": "object", "properties": {"performAt": {"type": "string", "enum": ["never", "always", "timeWindow"]}, "timeWindows": {"type": "array", "items": {"type": "string"}}}},
        "drainingTimeout": {"type": "integer"}, "maxUnavailable": {"type": "integer"},
        "capacityRebalance": {"type": "boolean", "default": true, "description": "replace an instance at an EC2 rebalance recommendation, before its interruption notice (false: only record it)"},
        "persistence": {"type": "object", "properties": {"shouldPersistRootDevice": {"type": "boolean"}, "shouldPersistBlockDevices": {"type": "boolean"}, "shouldPersistPrivateIp": {"type": "boolean"}, "blockDevicesMode": {"type": "string", "enum": ["reattach", "onLaunch"]}}}}},
      "snapshots": {"type": "object", "properties": {"frequencyMinutes": {"type": "integer"}, "keep": {"type": "integer"}}},
      "health": {"type": "object", "properties": {"type": {"type": "string"}, "gracePeriod": {"type": "integer"}, "unhealthyDuration": {"type": "integer"}, "autoHealing": {"type": "boolean"}, "serving": {"type": "object", "description": "exactly one of tcp, http", "properties": {"tcp": {"type": "object", "properties": {"port": {"type": "integer"}, "send": {"type": "string", "description": "written once connected"}, "expect": {"type": "string", "description": "the reply (first 64 KiB) contains it"}}}, "http": {"type": "object", "properties": {"port": {"type": "integer"}, "path": {"type": "string", "default": "/health"}, "expectStatus": {"type": "integer", "default": 200}, "expectBody": {"type": "string", "description": "the body (first 64 KiB) contains it"}}}, "gracePeriod": {"type": "integer"}, "interval": {"type": "integer"}, "timeout": {"type": "integer"}}}, "leader": {"type": "object", "description": "a probe that passes on the quorum's leader only: members queued for a planned recycle that lead go last; exactly one of tcp (expect required), http", "properties": {"tcp": {"type": "object", "properties": {"port": {"type": "integer"}, "send": {"type": "string"}, "expect": {"type": "string", "description": "only the leader's reply contains it, e.g. Mode: leader"}}}, "http": {"type": "object", "properties": {"port": {"type": "integer"}, "path": {"type": "string", "default": "/health"}, "expectStatus": {"type": "integer", "default": 200}, "expectBody": {"type": "string"}}}, "timeout": {"type": "integer", "default": 2}}}}},
      "scheduling": {"type": "object", "properties": {"tasks": {"type": "array", "items": {"type": "object", "properties": {"taskType": {"type": "string", "enum": ["statefulUpdateCapacity", "statefulRecycle"]}, "cronExpression": {"type": "string"}, "isEnabled": {"type": "boolean"}, "targetCapacity": {"type": "integer"}, "minCapacity": {"type": "integer"}, "maxCapacity": {"type": "integer"}}}}}},
      "statefulDeallocation": {"$ref": "#/components/schemas/DeallocationFlags"}
    }
  },
  "DeallocationFlags": {
    "type": "object", "additionalProperties": false,
    "properties": {
      "shouldDeleteImages": {"type": "boolean"}, "shouldDeleteNetworkInterfaces": {"type": "boolean"},
      "shouldDeleteVolumes": {"type": "boolean"}, "shouldDeleteSnapshots": {"type": "boolean"}
    }
  },
  "DeleteGroupRequest": {
    "type": "object", "additionalProperties": false,
    "properties": {"statefulDeallocation": {"$ref": "#/components/schemas/DeallocationFlags"}}
  },
  "Group": {
    "type": "object",
    "properties": {
      "id": {"type": "string"}, "name": {"type": "string"}, "generation": {"type": "integer"},
      "createdAt": {"type": "string"}, "updatedAt": {"type": "string"},
      "spec": {"$ref": "#/components/schemas/GroupSpec"},
      "status": {"type": "object", "properties": {
        "phase": {"type": "string", "enum": ["ACTIVE", "DELETING", "DELETED"]},
        "capacity": {"type": "object", "properties": {"target": {"type": "integer"}, "minimum": {"type": "integer"}, "maximum": {"type": "integer"}, "live": {"type": "integer"}, "active": {"type": "integer"}}},
        "statefulInstances": {"type": "object", "properties": {"total": {"type": "integer"}, "byState": {"type": "object", "additionalProperties": {"type": "integer"}}}},
        "conditions": {"type": "array", "items": {"$ref": "#/components/schemas/Condition"}},
        "deallocation": {"$ref": "#/components/schemas/DeallocationFlags"},
        "savings": {"type": "object", "description": "the sums of GET .../savings", "properties": {"costUsd": {"type": "number"}, "onDemandCostUsd": {"type": "number"}, "savedPercent": {"type": "number"}}}}}
    }
  },
  "Recovery": {
    "type": "object",
    "properties": {
      "reason": {"type": "string"}, "workflowId": {"type": "string"}, "startedAt": {"type": "string"},
      "totalMs": {"type": "integer"}, "downtimeMs": {"type": "integer"},
      "timings": {"type": "object", "additionalProperties": {"type": "string"}},
      "phasesMs": {"type": "object", "description": "ms from the trigger to each phase", "properties": {"terminated": {"type": "integer"}, "released": {"type": "integer"}, "running": {"type": "integer"}, "attached": {"type": "integer"}, "active": {"type": "integer"}}}
    }
  },
  "RecoveryList": {
    "type": "object",
    "properties": {"statefulInstanceId": {"type": "string"}, "items": {"type": "array", "items": {"$ref": "#/components/schemas/Recovery"}}, "count": {"type": "integer"}}
  },
  "GroupSavings": {
    "type": "object",
    "description": "What a group's instances cost against what the same hours would have cost on-demand, accrued by the controller after each sweep (spot prices from DescribeSpotPriceHistory, on-demand prices from EC2's us-east-1 list).",
    "properties": {
      "groupId": {"type": "string"}, "groupName": {"type": "string"},
      "costUsd": {"type": "number"}, "onDemandCostUsd": {"type": "number"},
      "savedUsd": {"type": "number"}, "savedPercent": {"type": "number"},
      "spotHours": {"type": "number"}, "onDemandHours": {"type": "number"},
      "unpricedHours": {"type": "number", "description": "hours of instance types without a known price (not in the sums)"},
      "statefulInstances": {"type": "array", "items": {"type": "object", "properties": {"ssiId": {"type": "string"}, "usd": {"type": "number"}, "onDemandUsd": {"type": "number"}, "spotHours": {"type": "number"}, "onDemandHours": {"type": "number"}}}},
      "hourly": {"type": "array", "description": "the last 30 days' hours with a running instance", "items": {"type": "object", "properties": {"hour": {"type": "integer", "description": "ms since the epoch"}, "usd": {"type": "number"}, "onDemandUsd": {"type": "number"}}}}
    }
  },
  "GroupList": {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}}, "count": {"type": "integer"}}
  },
  "Device": {
    "type": "object",
    "properties": {"deviceName": {"type": "string"}, "volumeId": {"type": "string"}, "snapshotId": {"type": "string", "description": "the newest completed snapshot"}, "role": {"type": "string", "enum": ["root", "data"]}}
  },
  "StatefulInstance": {
    "type": "object",
    "properties": {
      "id": {"type": "string"}, "groupId": {"type": "string"},
      "state": {"type": "string", "enum": ["ACTIVE", "PAUSE", "PAUSING", "PAUSED", "RESUME", "RESUMING", "RECYCLE", "RECYCLING", "DEALLOCATE", "DEALLOCATING", "DEALLOCATED", "ERROR"]},
      "desiredState": {"type": "string", "enum": ["running", "paused", "deallocated"]},
      "pauseReason": {"type": "string"},
      "instanceId": {"type": "string"}, "privateIp": {"type": "string"}, "imageId": {"type": "string"},
      "instanceType": {"type": "string"}, "lifeCycle": {"type": "string", "enum": ["SPOT", "OD", ""]},
      "availabilityZone": {"type": "string"}, "subnetId": {"type": "string"}, "networkInterfaceId": {"type": "string"},
      "devices": {"type": "array", "items": {"$ref": "#/components/schemas/Device"}},
      "launchedAt": {"type": "string"}, "createdAt": {"type": "string"}, "updatedAt": {"type": "string"},
      "observedGeneration": {"type": "integer"},
      "conditions": {"type": "array", "items": {"$ref": "#/components/schemas/Condition"}},
      "lastRecovery": {"type": "object", "nullable": true, "properties": {"reason": {"type": "string"}, "workflowId": {"type": "string"}, "totalMs": {"type": "integer"}, "downtimeMs": {"type": "integer"}, "timings": {"type": "object", "additionalProperties": {"type": "string"}}}},
      "pendingAction": {"type": "object", "nullable": true, "properties": {"kind": {"type": "string"}, "requestedBy": {"type": "string"}}},
      "workflow": {"type": "object", "nullable": true, "properties": {"id": {"type": "string"}, "kind": {"type": "string"}, "status": {"type": "string"}, "step": {"type": "string"}, "attempt": {"type": "integer"}, "error": {"type": "string"}, "startedAt": {"type": "string"}, "updatedAt": {"type": "string"}}},
      "snapshots": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "deviceName": {"type": "string"}, "role": {"type": "string"}, "volumeId": {"type": "string"}, "state": {"type": "string"}, "status": {"type": "string"}, "createdAt": {"type": "string"}}}},
      "images": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "snapshotId": {"type": "string"}, "state": {"type": "string"}, "status": {"type": "string"}, "current": {"type": "boolean"}, "createdAt": {"type": "string"}}}}
    }
  },
  "StatefulInstanceList": {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/StatefulInstance"}}, "count": {"type": "integer"}}
  },
  "ImportRequest": {
    "type": "object", "required": ["originalInstanceId"], "additionalProperties": false,
    "description": "Exactly one of groupId and newGroupName.",
    "properties": {
      "originalInstanceId": {"type": "string"}, "groupId": {"type": "string"}, "newGroupName": {"type": "string"},
      "shouldKeepPrivateIp": {"type": "boolean"}, "shouldTerminateInstance": {"type": "boolean"}
    }
  },
  "ImportStatus": {
    "type": "object",
    "properties": {
      "id": {"type": "string"}, "statefulInstanceId": {"type": "string"}, "groupId": {"type": "string"},
      "originalInstanceId": {"type": "string"}, "shouldKeepPrivateIp": {"type": "boolean"}, "shouldTerminateInstance": {"type": "boolean"},
      "state": {"type": "string", "enum": ["MIGRATE_PREPARING", "MIGRATE_SNAPSHOTTING", "MIGRATE_STOPPING_SOURCE", "MIGRATE_IMAGING", "MIGRATE_LAUNCHING", "MIGRATE_SUCCEEDED", "MIGRATE_FAILED", "MIGRATE_CANCELLED"]},
      "step": {"type": "string"}, "stepIndex": {"type": "integer"}, "stepCount": {"type": "integer"}, "attempt": {"type": "integer"},
      "cancellable": {"type": "boolean"}, "error": {"type": "string"}, "workflowId": {"type": "string"},
      "startedAt": {"type": "string"}, "updatedAt": {"type": "string"},
      "statefulInstance": {"type": "object", "properties": {"state": {"type": "string"}, "instanceId": {"type": "string"}, "privateIp": {"type": "string"}}}
    }
  },
  "ImportList": {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/ImportStatus"}}, "count": {"type": "integer"}}
  },
  "Event": {
    "type": "object",
    "properties": {
      "seq": {"type": "integer"}, "at": {"type": "string"}, "groupId": {"type": "string"},
      "statefulInstanceId": {"type": "string"}, "actor": {"type": "string", "description": "controller, operator, cloud, scheduler"},
      "kind": {"type": "string", "description": "StateChanged, WorkflowStarted, InterruptionWarning, ..."}, "message": {"type": "string"}
    }
  },
  "EventList": {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}, "count": {"type": "integer"}, "lastSeq": {"type": "integer", "description": "pass as ?after= to continue"}}
  },
  "Health": {"type": "object", "properties": {"status": {"type": "string"}}},
  "Ready": {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ready", "not ready"]}, "checks": {"type": "object", "additionalProperties": {"type": "object", "properties": {"ok": {"type": "boolean"}, "message": {"type": "string"}}}}}
  },
  "Info": {
    "type": "object",
    "properties": {"version": {"type": "string"}, "provider": {"type": "string"}, "now": {"type": "string"}, "startedAt": {"type": "string"}, "sim": {"type": "object", "additionalProperties": true}}
  },
  "OpenApiDocument": {"type": "object", "additionalProperties": true}
})json";

}  // namespace

nlohmann::json OpenApiSchemas() { return nlohmann::json::parse(kSchemas); }

}  // namespace spotkeeper::api
