#include "cloud/host/fake/fake_host_driver.h"

#include <thread>

namespace spotkeeper::cloud {
namespace {

class FakeVpcThread final : public VpcThread {
 public:
  explicit FakeVpcThread(std::function<void()> fn) : thread_(std::move(fn)) {}
  ~FakeVpcThread() override {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace

Status FakeHostDriver::Enter(const std::string& method, const std::string& arg, bool* do_effect) {
  calls_.push_back(arg.empty() ? method : method + " " + arg);
  ++call_counts_[method];
  *do_effect = true;
  if (auto it = fail_always_.find(method); it != fail_always_.end()) {
    *do_effect = false;
    return it->second;
  }
  auto it = fail_next_.find(method);
  if (it == fail_next_.end() || it->second.empty()) return OkStatus();
  Failure f = it->second.front();
  it->second.pop_front();
  *do_effect = f.after_effect;
  return f.status;
}

#define SK_FAKE_ENTER(method, arg)                  \
  std::lock_guard<std::mutex> lock(mu_);            \
  bool do_effect = true;                            \
  Status injected = Enter(method, arg, &do_effect); \
  if (!do_effect) return injected

Status FakeHostDriver::EnsureVpc(const VpcNetwork& vpc) {
  SK_FAKE_ENTER("EnsureVpc", vpc.vpc_id);
  vpcs_.insert(vpc.vpc_id);
  return injected;
}

Status FakeHostDriver::DeleteVpc(const std::string& vpc_id) {
  SK_FAKE_ENTER("DeleteVpc", vpc_id);
  for (const auto& [id, nic] : nics_) {
    if (nic.config.vpc_id == vpc_id) return FailedPrecondition("fake: vpc " + vpc_id + " has NICs");
  }
  vpcs_.erase(vpc_id);
  return injected;
}

Result<std::string> FakeHostDriver::EnsureBaseImage(const std::string& image_id) {
  SK_FAKE_ENTER("EnsureBaseImage", image_id);
  images_.insert(image_id);
  if (!injected.ok()) return injected;
  return "/fake/images/" + image_id + "/rootfs";
}

Status FakeHostDriver::CreateVolume(const std::string& volume_id, int size_gib) {
  SK_FAKE_ENTER("CreateVolume", volume_id);
  if (size_gib <= 0) return InvalidArgument("fake: volume size must be positive");
  volumes_.emplace(volume_id, size_gib);
  return injected;
}

Status FakeHostDriver::CloneVolume(const std::string& volume_id, const std::string& source_file,
                                   int size_gib) {
  SK_FAKE_ENTER("CloneVolume", volume_id + " " + source_file);
  volumes_.emplace(volume_id, size_gib);
  return injected;
}

Status FakeHostDriver::DeleteVolume(const std::string& volume_id) {
  SK_FAKE_ENTER("DeleteVolume", volume_id);
  for (const auto& [id, inst] : instances_) {
    if (inst.config.root_volume_id == volume_id) {
      return FailedPrecondition("fake: volume " + volume_id + " is the root of " + id);
    }
    for (const auto& [dev, m] : inst.mounts) {
      if (m.volume_id == volume_id) {
        return FailedPrecondition("fake: volume " + volume_id + " is mounted in " + id);
      }
    }
  }
  volumes_.erase(volume_id);
  restored_from_.erase(volume_id);
  return injected;
}

std::string FakeHostDriver::VolumeFile(const std::string& volume_id) const {
  return "/fake/volumes/" + volume_id + ".img";
}

Status FakeHostDriver::CreateNic(const NicConfig& nic) {
  SK_FAKE_ENTER("CreateNic", nic.eni_id);
  if (vpcs_.count(nic.vpc_id) == 0) return FailedPrecondition("fake: no vpc " + nic.vpc_id);
  if (nics_.count(nic.eni_id) == 0) nics_[nic.eni_id] = FakeNic{nic, "parked"};
  return injected;
}

Status FakeHostDriver::DeleteNic(const NicConfig& nic) {
  SK_FAKE_ENTER("DeleteNic", nic.eni_id);
  auto it = nics_.find(nic.eni_id);
  if (it != nics_.end() && it->second.location != "parked") {
    return FailedPrecondition("fake: nic " + nic.eni_id + " is in " + it->second.location);
  }
  nics_.erase(nic.eni_id);
  return injected;
}

Status FakeHostDriver::StartInstance(const InstanceConfig& config) {
  SK_FAKE_ENTER("StartInstance", config.instance_id);
  auto existing = instances_.find(config.instance_id);
  if (existing != instances_.end() && existing->second.state == RuntimeState::kRunning) {
    return injected;
  }
  if (volumes_.count(config.root_volume_id) == 0) {
    return FailedPrecondition("fake: root volume " + config.root_volume_id + " missing");
  }
  auto nic = nics_.find(config.primary_nic.eni_id);
  if (nic == nics_.end())
    return FailedPrecondition("fake: nic " + config.primary_nic.eni_id + " missing");
  if (nic->second.location != "parked" && nic->second.location != config.instance_id) {
    return FailedPrecondition("fake: nic " + nic->first + " is in " + nic->second.location);
  }
  for (const VolumeMount& m : config.volumes) {
    if (volumes_.count(m.volume_id) == 0) {
      return FailedPrecondition("fake: volume " + m.volume_id + " missing");
    }
  }
  FakeInstance inst;
  inst.config = config;
  inst.state = RuntimeState::kRunning;
  inst.starts = existing == instances_.end() ? 1 : existing->second.starts + 1;
  inst.console = existing == instances_.end() ? "" : existing->second.console;
  inst.console += "[fake init] started " + config.instance_id + "\n";
  for (const VolumeMount& m : config.volumes) inst.mounts[m.device] = m;
  nic->second.location = config.instance_id;
  instances_[config.instance_id] = std::move(inst);
  return injected;
}

void FakeHostDriver::RemoveInstanceLocked(const std::string& instance_id) {
  for (auto& [id, nic] : nics_) {
    if (nic.location == instance_id) nic.location = "parked";
  }
  instances_.erase(instance_id);
}

Status FakeHostDriver::StopInstance(const std::string& instance_id, Duration /*grace*/) {
  SK_FAKE_ENTER("StopInstance", instance_id);
  RemoveInstanceLocked(instance_id);
  return injected;
}

Result<RuntimeState> FakeHostDriver::GetInstanceState(const std::string& instance_id) {
  SK_FAKE_ENTER("GetInstanceState", instance_id);
  if (!injected.ok()) return injected;
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return RuntimeState::kMissing;
  return it->second.state;
}

Status FakeHostDriver::AttachVolume(const std::string& instance_id, const VolumeMount& m) {
  SK_FAKE_ENTER("AttachVolume", instance_id + " " + m.volume_id + " " + m.device);
  auto it = instances_.find(instance_id);
  if (it == instances_.end() || it->second.state != RuntimeState::kRunning) {
    return FailedPrecondition("fake: instance " + instance_id + " is not running");
  }
  if (volumes_.count(m.volume_id) == 0) return FailedPrecondition("fake: no volume " + m.volume_id);
  for (const auto& [id, inst] : instances_) {
    for (const auto& [dev, mount] : inst.mounts) {
      if (mount.volume_id == m.volume_id && (id != instance_id || dev != m.device)) {
        return FailedPrecondition("fake: volume " + m.volume_id + " is mounted in " + id);
      }
    }
  }
  it->second.mounts[m.device] = m;
  return injected;
}

Status FakeHostDriver::DetachVolume(const std::string& instance_id, const VolumeMount& m) {
  SK_FAKE_ENTER("DetachVolume", instance_id + " " + m.volume_id + " " + m.device);
  auto it = instances_.find(instance_id);
  if (it != instances_.end()) it->second.mounts.erase(m.device);
  return injected;
}

Result<std::string> FakeHostDriver::ConsoleOutput(const std::string& instance_id) {
  SK_FAKE_ENTER("ConsoleOutput", instance_id);
  if (!injected.ok()) return injected;
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return std::string();
  return it->second.console;
}

Result<int> FakeHostDriver::Exec(const std::string& instance_id,
                                 const std::vector<std::string>& argv, bool /*tty*/) {
  std::string joined;
  for (const std::string& a : argv) joined += (joined.empty() ? "" : " ") + a;
  SK_FAKE_ENTER("Exec", instance_id + " " + joined);
  if (!injected.ok()) return injected;
  auto it = instances_.find(instance_id);
  if (it == instances_.end() || it->second.state != RuntimeState::kRunning) {
    return FailedPrecondition("fake: instance " + instance_id + " is not running");
  }
  return 0;
}

Result<std::unique_ptr<VpcThread>> FakeHostDriver::RunInVpc(const std::string& vpc_id,
                                                            std::function<void()> fn) {
  {
    SK_FAKE_ENTER("RunInVpc", vpc_id);
    if (!injected.ok()) return injected;
    if (vpcs_.count(vpc_id) == 0) return FailedPrecondition("fake: no vpc " + vpc_id);
  }
  return std::unique_ptr<VpcThread>(new FakeVpcThread(std::move(fn)));
}

Status FakeHostDriver::ProbeServing(const std::string& vpc_id, const std::string& ip,
                                    const ServingProbe& probe, Duration /*timeout*/) {
  const int port = probe.port;
  SK_FAKE_ENTER("ProbeServing", vpc_id + " " + ip + ":" + std::to_string(port));
  last_probe_ = probe;
  if (!injected.ok()) return injected;
  if (vpcs_.count(vpc_id) == 0) return FailedPrecondition("fake: no vpc " + vpc_id);
  if (listening_.count(ip + ":" + std::to_string(port)) == 0) {
    return Status(Code::kUnavailable,
                  "connect " + ip + ":" + std::to_string(port) + ": Connection refused",
                  "ConnectionRefused");
  }
  return OkStatus();
}

void FakeHostDriver::SetListening(const std::string& ip, int port, bool listening) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = ip + ":" + std::to_string(port);
  if (listening) {
    listening_.insert(key);
  } else {
    listening_.erase(key);
  }
}

Status FakeHostDriver::Recover(const HostInventory& expected) {
  SK_FAKE_ENTER("Recover", "");
  vpcs_.clear();
  for (const VpcNetwork& v : expected.vpcs) vpcs_.insert(v.vpc_id);
  std::set<std::string> running(expected.running_instances.begin(),
                                expected.running_instances.end());
  for (auto it = instances_.begin(); it != instances_.end();) {
    if (running.count(it->first) == 0) {
      std::string id = it->first;
      ++it;
      RemoveInstanceLocked(id);
    } else {
      ++it;
    }
  }
  for (const std::string& id : running) {
    if (instances_.count(id) == 0) {
      FakeInstance adopted;  // the process restarted: the fake adopts what the cloud says runs
      adopted.config.instance_id = id;
      instances_[id] = std::move(adopted);
    }
    instances_[id].mounts.clear();
  }
  for (const auto& [id, m] : expected.attachments) {
    if (instances_.count(id) > 0) instances_[id].mounts[m.device] = m;
  }
  std::set<std::string> vols(expected.volumes.begin(), expected.volumes.end());
  std::set<std::string> others(expected.other_volumes.begin(), expected.other_volumes.end());
  for (auto it = volumes_.begin(); it != volumes_.end();) {
    if (vols.count(it->first) == 0 && others.count(it->first) == 0) {
      quarantined_volumes_[it->first] = it->second;  // unknown data is moved aside, not lost
      it = volumes_.erase(it);
    } else {
      ++it;
    }
  }
  for (const std::string& v : vols) volumes_.emplace(v, 1);
  // Captures the cloud never recorded are dropped; stored snapshots stay (the cloud deletes
  // them itself).
  std::set<std::string> snaps(expected.snapshots.begin(), expected.snapshots.end());
  for (auto it = snapshots_.begin(); it != snapshots_.end();) {
    it = !it->second.stored && snaps.count(it->first) == 0 ? snapshots_.erase(it) : std::next(it);
  }
  std::map<std::string, FakeNic> nics;
  for (const NicConfig& n : expected.nics) {
    auto old = nics_.find(n.eni_id);
    std::string location = old == nics_.end() ? "parked" : old->second.location;
    if (location != "parked" && instances_.count(location) == 0) location = "parked";
    nics[n.eni_id] = FakeNic{n, location};
  }
  nics_ = std::move(nics);
  return injected;
}

Status FakeHostDriver::DestroyAll() {
  SK_FAKE_ENTER("DestroyAll", "");
  vpcs_.clear();
  images_.clear();
  volumes_.clear();
  quarantined_volumes_.clear();
  nics_.clear();
  instances_.clear();
  snapshots_.clear();
  restored_from_.clear();
  return injected;
}

#undef SK_FAKE_ENTER

void FakeHostDriver::FailNext(const std::string& method, Status status, bool after_effect) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_[method].push_back(Failure{std::move(status), after_effect});
}

void FakeHostDriver::FailAlways(const std::string& method, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status.ok()) {
    fail_always_.erase(method);
  } else {
    fail_always_[method] = std::move(status);
  }
}

void FakeHostDriver::ExitInstance(const std::string& instance_id, bool tell) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = instances_.find(instance_id);
    if (it == instances_.end() || it->second.state != RuntimeState::kRunning) return;
    it->second.state = RuntimeState::kStopped;
    it->second.console += "[fake init] workload exited\n";
  }
  if (!tell) return;
  std::lock_guard<std::mutex> lock(listener_mu_);
  if (listener_) listener_(instance_id);
}

void FakeHostDriver::SetExitListener(std::function<void(const std::string&)> listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  listener_ = std::move(listener);
}

void FakeHostDriver::AppendConsole(const std::string& instance_id, const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find(instance_id);
  if (it != instances_.end()) it->second.console += text;
}

std::vector<std::string> FakeHostDriver::Calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int FakeHostDriver::CallCount(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = call_counts_.find(method);
  return it == call_counts_.end() ? 0 : it->second;
}

std::set<std::string> FakeHostDriver::Vpcs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return vpcs_;
}

std::set<std::string> FakeHostDriver::Volumes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> out;
  for (const auto& [id, size] : volumes_) out.insert(id);
  return out;
}

std::set<std::string> FakeHostDriver::QuarantinedVolumes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> out;
  for (const auto& [id, size] : quarantined_volumes_) out.insert(id);
  return out;
}

std::map<std::string, FakeHostDriver::FakeNic> FakeHostDriver::Nics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nics_;
}

std::map<std::string, FakeHostDriver::FakeInstance> FakeHostDriver::Instances() const {
  std::lock_guard<std::mutex> lock(mu_);
  return instances_;
}

bool FakeHostDriver::Empty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return vpcs_.empty() && volumes_.empty() && nics_.empty() && instances_.empty() &&
         snapshots_.empty();
}

}  // namespace spotkeeper::cloud
