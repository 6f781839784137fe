#include "recovery_floor.h"

#include <thread>

namespace spotkeeper::bench {

std::string FloorReplica::State(const std::string& id) {
  auto v = w_->engine().FindInstance(id);
  return v ? v->instance.state : "gone";
}

bool FloorReplica::WaitFor(std::chrono::seconds timeout, const std::function<bool()>& done) {
  const auto end = Steady::now() + timeout;
  while (!done()) {  // bounded by the deadline
    if (Steady::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool FloorReplica::Free() {
  cloud::DescribeRequest er;
  er.ids = {eni_};
  auto enis = w_->engine().DescribeNetworkInterfaces(er);
  cloud::DescribeRequest vr;
  vr.ids = {volume_};
  auto vols = w_->engine().DescribeVolumes(vr);
  return enis.ok() && !enis->items.empty() && enis->items.front().status == "available" &&
         vols.ok() && !vols->items.empty() && vols->items.front().state == "available";
}

Result<std::string> FloorReplica::Launch(const std::string& image_id) {
  RunInstanceRequest r;
  r.image_id = image_id;
  r.instance_type = c_.instance_type;
  r.market = c_.spot ? Market::kSpot : Market::kOnDemand;
  r.network_interface_id = eni_;
  r.security_group_ids = {c_.security_group};
  r.user_data = c_.user_data;
  BlockDeviceSpec root;
  root.device_name = root_device_;
  root.delete_on_termination = !c_.persist_root;
  r.block_devices.push_back(root);
  r.client_token = "bench-floor-" + eni_ + "-" + std::to_string(++generation_);
  SK_ASSIGN_OR_RETURN(Instance inst, w_->floor_calls().RunInstance(r));
  return inst.id;
}

Status FloorReplica::Attach(std::chrono::seconds timeout) {
  if (!WaitFor(timeout, [&] { return State(instance_) == "running"; })) {
    return DeadlineExceeded("floor: " + instance_ + " never running (" + State(instance_) + ")");
  }
  SK_RETURN_IF_ERROR(w_->floor_calls().AttachVolume(volume_, instance_, c_.data_device));
  bool ok = WaitFor(timeout, [&] {
    cloud::DescribeRequest vr;
    vr.ids = {volume_};
    auto v = w_->engine().DescribeVolumes(vr);
    return v.ok() && !v->items.empty() && v->items.front().attachment &&
           v->items.front().attachment->instance_id == instance_ &&
           v->items.front().attachment->status == "attached";
  });
  if (!ok) return DeadlineExceeded("floor: " + volume_ + " never attached to " + instance_);
  return OkStatus();
}

Status FloorReplica::Create(std::chrono::seconds timeout) {
  CreateNetworkInterfaceRequest n;
  n.subnet_id = c_.subnet_id;
  n.security_group_ids = {c_.security_group};
  n.description = "bench/recovery floor";
  n.client_token = "bench-floor-eni";
  SK_ASSIGN_OR_RETURN(NetworkInterface eni, w_->floor_calls().CreateNetworkInterface(n));
  eni_ = eni.id;
  ::spotkeeper::CreateVolumeRequest v;
  v.availability_zone = c_.az;
  v.size_gib = 1;
  v.client_token = "bench-floor-vol";
  SK_ASSIGN_OR_RETURN(Volume vol, w_->floor_calls().CreateVolume(v));
  volume_ = vol.id;
  if (!WaitFor(timeout, [&] { return Free(); })) {
    return DeadlineExceeded("floor: interface or volume never available");
  }
  image_id_ = c_.image_id;
  SK_ASSIGN_OR_RETURN(instance_, Launch(image_id_));
  SK_RETURN_IF_ERROR(Attach(timeout));
  auto view = w_->engine().FindInstance(instance_);
  if (!view) return Internal("floor: " + instance_ + " vanished");
  vpc_ = view->instance.vpc_id;
  ip_ = view->instance.private_ip;
  root_volume_ = view->instance.root_volume_id;
  root_device_ = view->instance.root_device_name;
  bool up = WaitFor(timeout, [&] {
    auto r = w_->Redis(vpc_, ip_, {{"PING"}});
    return r.ok() && r->size() == 1 && (*r)[0] == "PONG";
  });
  if (!up) return DeadlineExceeded("floor: Redis never answered at " + ip_);
  return OkStatus();
}

RecoveryTarget FloorReplica::Target() const {
  RecoveryTarget t;
  t.old_instance = instance_;
  t.eni = eni_;
  t.volumes = {volume_};
  t.vpc = vpc_;
  t.ip = ip_;
  return t;
}

Status FloorReplica::Replace(const std::string& trigger, std::chrono::seconds timeout) {
  const std::string old = instance_;
  if (trigger == "kill" && !WaitFor(timeout, [&] { return State(old) != "running"; })) {
    return DeadlineExceeded("floor: the cloud never saw " + old + " die");
  }
  if (trigger != "interrupt") SK_RETURN_IF_ERROR(w_->floor_calls().TerminateInstance(old));
  if (!WaitFor(timeout, [&] { return Free(); })) {
    return DeadlineExceeded("floor: interface or volume not freed by " + old);
  }
  std::string image = image_id_;
  if (c_.persist_root) {
    ::spotkeeper::CreateSnapshotRequest s;
    s.volume_id = root_volume_;
    s.description = "bench/recovery floor root";
    SK_ASSIGN_OR_RETURN(Snapshot snap, w_->floor_calls().CreateSnapshot(s));
    bool done = WaitFor(timeout, [&] {
      cloud::DescribeRequest sr;
      sr.ids = {snap.id};
      auto p = w_->engine().DescribeSnapshots(sr, {});
      return p.ok() && !p->items.empty() && p->items.front().state == "completed";
    });
    if (!done) return DeadlineExceeded("floor: root snapshot " + snap.id + " never completed");
    ::spotkeeper::RegisterImageRequest ri;
    ri.name = "bench-floor-" + std::to_string(generation_ + 1) + "-" + snap.id;
    ri.root_device_name = root_device_;
    ri.block_devices = {{root_device_, snap.id, 0, true}};
    SK_ASSIGN_OR_RETURN(Image img, w_->floor_calls().RegisterImage(ri));
    old_image_ = image_id_;
    image = image_id_ = img.id;
    old_root_volume_ = root_volume_;
  }
  SK_ASSIGN_OR_RETURN(instance_, Launch(image));
  SK_RETURN_IF_ERROR(Attach(timeout));
  auto view = w_->engine().FindInstance(instance_);
  if (view) root_volume_ = view->instance.root_volume_id;
  return OkStatus();
}

void FloorReplica::Tidy() {
  if (!old_root_volume_.empty()) {
    (void)w_->engine().DeleteVolume(old_root_volume_);
    old_root_volume_.clear();
  }
  if (!old_image_.empty() && old_image_ != c_.image_id) {
    (void)w_->engine().DeregisterImage(old_image_, true);
    old_image_.clear();
  }
}

}  // namespace spotkeeper::bench
