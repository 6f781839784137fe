// FloorReplica: the same workload as the controller's SSI (Redis on a reattached data volume
// behind a kept network interface, optionally a persisted root through an image), made and
// replaced by the bench itself with the local cloud's API calls and nothing else: the floor a
// controller is measured against. It waits with in-process looks at the engine every 2 ms,
// as a client polling at no cost would.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "recovery_observer.h"
#include "recovery_world.h"

namespace spotkeeper::bench {

struct FloorConfig {
  std::string image_id, instance_type, subnet_id, az, security_group, user_data;
  std::string data_device = "/dev/sdf";
  bool persist_root = false;  // root kept through snapshot -> RegisterImage, as the controller
  bool spot = true;
};

class FloorReplica {
 public:
  FloorReplica(RecoveryWorld* world, FloorConfig config) : w_(world), c_(std::move(config)) {}

  // Interface, data volume, instance, attachment; Redis answering.
  Status Create(std::chrono::seconds timeout);
  RecoveryTarget Target() const;
  const std::string& instance() const { return instance_; }

  // The direct replacement after `trigger` happened to instance(): "recycle" terminates now,
  // "interrupt" lets the cloud terminate, "kill" terminates once the cloud saw the instance
  // stop. Then: wait until interface and volume are free, [snapshot the root, register the
  // image], RunInstances with the interface, AttachVolume when running. Returns when attached.
  Status Replace(const std::string& trigger, std::chrono::seconds timeout);
  // After a run, outside the timing: deletes the old root volume and image.
  void Tidy();

 private:
  std::string State(const std::string& id);
  bool WaitFor(std::chrono::seconds timeout, const std::function<bool()>& done);
  bool Free();
  Result<std::string> Launch(const std::string& image_id);
  Status Attach(std::chrono::seconds timeout);

  RecoveryWorld* w_;
  FloorConfig c_;
  std::string eni_, volume_, instance_, root_volume_, image_id_, vpc_, ip_;
  std::string old_root_volume_, old_image_;
  std::string root_device_ = "/dev/xvda";
  int generation_ = 0;
};

}  // namespace spotkeeper::bench
