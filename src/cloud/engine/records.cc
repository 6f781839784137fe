#include "cloud/engine/records.h"

namespace nlohmann {

template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v) {
      j = *v;
    } else {
      j = nullptr;
    }
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null()) {
      v.reset();
    } else {
      v = j.get<T>();
    }
  }
};

}  // namespace nlohmann

namespace spotkeeper::cloud {

#define SK_CLOUD_JSON_IMPL(Type, ...)                                                       \
  void to_json(nlohmann::json& nlohmann_json_j, const Type& nlohmann_json_t) {              \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, __VA_ARGS__))                \
  }                                                                                         \
  void from_json(const nlohmann::json& nlohmann_json_j, Type& nlohmann_json_t) {            \
    const Type nlohmann_json_default_obj{};                                                 \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_FROM_WITH_DEFAULT, __VA_ARGS__)) \
  }

SK_CLOUD_JSON_IMPL(VpcRecord, id, cidr, state, is_default, host_created, default_security_group,
                   tags)
SK_CLOUD_JSON_IMPL(SubnetRecord, id, vpc_id, az, cidr, default_for_az, tags)
SK_CLOUD_JSON_IMPL(AttachmentRecord, instance_id, device, status, attach_ms, delete_on_termination)
SK_CLOUD_JSON_IMPL(VolumeRecord, id, az, size_gib, volume_type, iops, throughput, encrypted,
                   snapshot_id, state, host_created, create_ms, client_token, attachment, tags)
SK_CLOUD_JSON_IMPL(EniAttachmentRecord, attachment_id, instance_id, device_index, status, attach_ms,
                   delete_on_termination)
SK_CLOUD_JSON_IMPL(EniRecord, id, subnet_id, vpc_id, az, private_ip, mac, description, groups,
                   source_dest_check, status, host_created, client_token, interface_type,
                   attachment, tags)
SK_CLOUD_JSON_IMPL(ImageDeviceRecord, device_name, snapshot_id, volume_size_gib,
                   delete_on_termination, volume_type)
SK_CLOUD_JSON_IMPL(ImageRecord, id, name, description, state, state_reason, root_device_name,
                   root_size_gib, root_snapshot_id, root_delete_on_termination, root_volume_type,
                   data_devices, rootfs, source_instance_id, creation_ms, tags)
SK_CLOUD_JSON_IMPL(SnapshotRecord, id, volume_id, volume_size_gib, state, state_message, progress,
                   start_ms, completion_ms, description, owner_id, client_token, source_snapshot_id,
                   host_captured, host_stored, tags)
SK_CLOUD_JSON_IMPL(InstanceRecord, id, reservation_id, image_id, instance_type, az, subnet_id,
                   vpc_id, private_ip, primary_eni_id, root_volume_id, root_device_name, state,
                   state_reason_code, state_reason_message, transition_reason, launch_ms,
                   terminated_ms, lifecycle, spot_request_id, client_token, user_data, launch_index,
                   key_name, groups, shutdown_behavior, vcpus, memory_mib, host_started, tags)
SK_CLOUD_JSON_IMPL(TokenRecord, id, digest, resource_ids, created_ms)
SK_CLOUD_JSON_IMPL(SpotRequestRecord, id, instance_id, request_type, state, status_code,
                   status_message, status_update_ms, create_ms, max_price, interruption_behavior,
                   instance_type, image_id, az, subnet_id, key_name, groups, tags, fulfilled_ms,
                   runs, interruption_cause, rebalance_ms, notice_ms, action_ms, rebalance_sent,
                   notice_sent, action_done, pending_code, pending_state, stopped_ms)
SK_CLOUD_JSON_IMPL(SpotPoolRecord, id, instance_type, az, step, walk_price, history)
SK_CLOUD_JSON_IMPL(CostRecord, id, instance_id, instance_type, az, lifecycle, tags, running_ms,
                   cost, on_demand_cost, accrued_to_ms, running, launch_ms, ended_ms)

}  // namespace spotkeeper::cloud
