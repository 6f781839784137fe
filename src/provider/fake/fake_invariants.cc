// FakeCloud::CheckInvariants: the cloud's own consistency rules, for tests and the simulation.
#include <map>
#include <set>
#include <utility>

#include "provider/fake/fake_cloud.h"

namespace spotkeeper {

namespace {

Status Broken(const std::string& what) {
  return Status(Code::kInternal, "fake cloud invariant broken: " + what);
}

bool Live(InstanceState s) {
  return s == InstanceState::kPending || s == InstanceState::kRunning ||
         s == InstanceState::kShuttingDown;
}

}  // namespace

Status FakeCloud::CheckInvariants() {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();

  // Interfaces: one attachment at most, to an instance that lists it; addresses unique per
  // subnet and taken in the subnet's address space.
  std::set<std::pair<std::string, std::string>> addresses;  // (subnet, ip)
  for (const auto& [id, rec] : enis_) {
    const NetworkInterface& e = rec.eni;
    if (rec.deleted) {
      if (e.attachment) return Broken(id + " is deleted but attached");
      continue;
    }
    if (!addresses.insert({e.subnet_id, e.private_ip}).second) {
      return Broken("address " + e.private_ip + " used twice in " + e.subnet_id);
    }
    if (!subnets_.at(e.subnet_id).addresses.IsInUse(e.private_ip)) {
      return Broken(id + "'s address " + e.private_ip + " is free in its subnet");
    }
    if (e.status == "available" && e.attachment) return Broken(id + " is available but attached");
    if (e.status != "available" && !e.attachment) return Broken(id + " is " + e.status + " alone");
    if (!e.attachment) continue;
    const Instance& inst = instances_.at(e.attachment->instance_id).instance;
    if (inst.state == InstanceState::kTerminated) {
      if (e.attachment->status != "detaching") {
        return Broken(id + " is still attached to terminated " + inst.id);
      }
      continue;
    }
    bool listed = false;
    for (const InstanceNetworkInterface& ni : inst.network_interfaces) {
      listed |= ni.network_interface_id == id && ni.private_ip == e.private_ip &&
                ni.delete_on_termination == e.attachment->delete_on_termination;
    }
    if (!listed) return Broken(id + " is attached to " + inst.id + ", which does not list it");
    if (inst.availability_zone != e.availability_zone) return Broken(id + " is in another AZ");
  }

  // Volumes: in-use exactly when attached, to an instance in the same zone that lists it.
  for (const auto& [id, rec] : volumes_) {
    const Volume& v = rec.volume;
    if (v.attachments.size() > 1) return Broken(id + " has several attachments");
    bool attached = !v.attachments.empty();
    if ((v.state == "in-use") != attached) {
      return Broken(id + " is " + v.state + (attached ? " but attached" : " but not attached"));
    }
    if (!attached) continue;
    const Instance& inst = instances_.at(v.attachments[0].instance_id).instance;
    if (inst.availability_zone != v.availability_zone) return Broken(id + " is in another AZ");
    if (inst.state == InstanceState::kTerminated) {
      if (v.attachments[0].state != "detaching") {
        return Broken(id + " is still attached to terminated " + inst.id);
      }
      continue;
    }
    int listed = 0;
    for (const InstanceBlockDevice& bd : inst.block_devices) {
      if (bd.volume_id == id) {
        ++listed;
        if (bd.device_name != v.attachments[0].device || bd.status != v.attachments[0].state) {
          return Broken(id + "'s attachment differs from " + inst.id + "'s block device");
        }
      }
    }
    if (listed != 1) return Broken(id + " is listed " + std::to_string(listed) + " times");
  }

  // Instances: every listed device and interface points back; pools hold the live ones.
  for (const auto& [id, rec] : instances_) {
    const Instance& inst = rec.instance;
    std::set<std::string> devices;
    for (const InstanceBlockDevice& bd : inst.block_devices) {
      if (!devices.insert(bd.device_name).second) return Broken(id + " uses a device twice");
      const Volume& v = volumes_.at(bd.volume_id).volume;
      if (v.attachments.empty() || v.attachments[0].instance_id != id) {
        return Broken(id + " lists " + bd.volume_id + ", which is not attached to it");
      }
    }
    for (const InstanceNetworkInterface& ni : inst.network_interfaces) {
      const fake::EniRecord& e = enis_.at(ni.network_interface_id);
      if (!e.eni.attachment || e.eni.attachment->instance_id != id) {
        return Broken(id + " lists " + ni.network_interface_id + ", which is not attached to it");
      }
    }
    const auto& pools = inst.market == Market::kSpot ? spot_pools_ : on_demand_pools_;
    auto pool = pools.find({inst.instance_type, inst.availability_zone});
    bool in_pool = pool != pools.end() && pool->second.live.count(id) > 0;
    if (in_pool != Live(inst.state)) return Broken(id + "'s pool membership is wrong");
    if (!inst.spot_request_id.empty()) {
      const SpotInstanceRequest& r = spot_requests_.at(inst.spot_request_id).request;
      if (r.instance_id != id) return Broken(inst.spot_request_id + " names another instance");
      if ((r.state == "active") == (inst.state == InstanceState::kTerminated)) {
        return Broken(inst.spot_request_id + " is " + r.state + " for a " +
                      InstanceStateName(inst.state) + " instance");
      }
    }
  }
  for (const auto* pools : {&spot_pools_, &on_demand_pools_}) {
    for (const auto& [key, pool] : *pools) {
      for (const std::string& id : pool.live) {
        if (!Live(instances_.at(id).instance.state)) return Broken(id + " is dead but pooled");
      }
    }
  }

  // Images: a registered image's snapshots exist.
  for (const auto& [id, rec] : images_) {
    if (rec.image.state == "deregistered") continue;
    for (const ImageBlockDevice& d : rec.image.block_devices) {
      if (d.snapshot_id.empty()) continue;
      auto s = snapshots_.find(d.snapshot_id);
      if (s == snapshots_.end() || s->second.deleted) {
        return Broken(id + " uses deleted snapshot " + d.snapshot_id);
      }
      if (rec.image.state == "available" && s->second.snapshot.state != "completed") {
        return Broken(id + " is available on a pending snapshot");
      }
    }
  }
  return OkStatus();
}

}  // namespace spotkeeper
