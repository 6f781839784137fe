// cloud_ops: how long the local cloud's operations take on the real (Linux) host driver, from
// the EC2 call until the state EC2 would show, p50 and p99 over --runs runs each, beside the
// bare host operation each one is built on, measured in the same run:
//
//   RunInstances -> running          vs  `runc run -d` of the same base image (bind /usr)
//   AttachVolume -> attached         vs  `mount -o loop` of an ext4 file
//   ENI move (terminate the holder,  vs  `ip link set ... netns` of a veth end
//     launch with the ENI -> running)
//   terminate -> volume available    vs  `umount` of a loop-mounted ext4 file
//
// The calls go to the Engine in-process (no HTTP, no SigV4) and the state is polled every
// 0.5 ms, so the figures are the engine's and the host's, not a client's. Root only.
//   sudo build/release/bench/cloud_ops [--runs 50] [--keep-dir]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cloud/api/local_cloud.h"
#include "cloud/engine/host_driver_factory.h"

extern char** environ;

namespace spotkeeper::cloud {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

double MsSince(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

// Runs argv (PATH lookup), output to /dev/null; the exit code (-1 when it could not run).
int Run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Polls `done` every 0.5 ms, at most 60 s; false on timeout.
bool WaitFor(const std::function<bool()>& done) {
  const auto end = Steady::now() + std::chrono::seconds(60);
  while (!done()) {  // bounded by the deadline
    if (Steady::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return true;
}

struct Stats {
  std::vector<double> ms;
  double P(double q) const {
    if (ms.empty()) return NAN;
    std::vector<double> v = ms;
    std::sort(v.begin(), v.end());
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    return v[std::min(i, v.size() - 1)];
  }
};

class Bench {
 public:
  Bench(LocalCloud* cloud, std::string dir, std::string prefix)
      : e_(cloud->engine()), dir_(std::move(dir)), prefix_(std::move(prefix)) {}

  Status Setup() {
    SK_ASSIGN_OR_RETURN(auto subnets, e_->DescribeSubnets({}));
    for (const auto& s : subnets) {
      if (s.subnet.az == "local-1a" && s.subnet.default_for_az) subnet_ = s.subnet.id;
    }
    if (subnet_.empty()) return FailedPrecondition("no default subnet in local-1a");
    SK_ASSIGN_OR_RETURN(auto images, e_->DescribeImages({}, {}));
    for (const auto& i : images.items) {
      if (i.id == kBaseImageId) rootfs_ = i.rootfs;
    }
    if (rootfs_.empty()) return FailedPrecondition("no base image");
    CreateVolumeRequest v;
    v.availability_zone = "local-1a";
    v.size = 1;
    SK_ASSIGN_OR_RETURN(auto vol, e_->CreateVolume(v));
    volume_ = vol.id;
    if (!WaitFor([&] { return VolumeState() == "available"; })) {
      return DeadlineExceeded("volume never available");
    }
    CreateNetworkInterfaceRequest n;
    n.subnet_id = subnet_;
    SK_ASSIGN_OR_RETURN(auto eni, e_->CreateNetworkInterface(n));
    eni_ = eni.id;
    if (!WaitFor([&] { return EniStatus() == "available"; })) {
      return DeadlineExceeded("ENI never available");
    }
    SK_ASSIGN_OR_RETURN(eni_holder_, Launch(true));
    if (!WaitFor([&] { return InstanceState(eni_holder_) == "running"; })) {
      return DeadlineExceeded("first ENI holder never running");
    }
    return OkStatus();
  }

  // One run of each cloud operation.
  Status RunOnce() {
    auto t = Steady::now();
    SK_ASSIGN_OR_RETURN(std::string id, Launch(false));
    if (!WaitFor([&] { return InstanceState(id) == "running"; })) {
      return DeadlineExceeded("RunInstances -> running");
    }
    stats_["run"].ms.push_back(MsSince(t));

    t = Steady::now();
    SK_RETURN_IF_ERROR(e_->AttachVolume(volume_, id, "/dev/sdf").status());
    if (!WaitFor([&] { return VolumeState() == "in-use" && AttachState() == "attached"; })) {
      return DeadlineExceeded("AttachVolume -> attached");
    }
    stats_["attach"].ms.push_back(MsSince(t));

    t = Steady::now();
    SK_RETURN_IF_ERROR(e_->TerminateInstances({id}).status());
    if (!WaitFor([&] { return VolumeState() == "available"; })) {
      return DeadlineExceeded("terminate -> volume available");
    }
    stats_["terminate"].ms.push_back(MsSince(t));

    t = Steady::now();
    SK_RETURN_IF_ERROR(e_->TerminateInstances({eni_holder_}).status());
    if (!WaitFor([&] { return EniStatus() == "available"; })) {
      return DeadlineExceeded("ENI available after terminate");
    }
    SK_ASSIGN_OR_RETURN(eni_holder_, Launch(true));
    if (!WaitFor([&] { return InstanceState(eni_holder_) == "running"; })) {
      return DeadlineExceeded("launch with the ENI -> running");
    }
    stats_["eni"].ms.push_back(MsSince(t));
    return OkStatus();
  }

  // --- references: the bare host operations
  Status SetupReferences() {
    ref_dir_ = dir_ + "/bench-ref";
    fs::create_directories(ref_dir_ + "/bundle");
    fs::create_directories(ref_dir_ + "/mnt");
    if (Run({"runc", "spec", "--bundle", ref_dir_ + "/bundle"}) != 0) {
      return Internal("runc spec failed");
    }
    nlohmann::json spec;
    {
      std::ifstream in(ref_dir_ + "/bundle/config.json");
      spec = nlohmann::json::parse(in, nullptr, false);
    }
    if (spec.is_discarded()) return Internal("runc spec: bad config.json");
    spec["root"] = {{"path", rootfs_}, {"readonly", true}};
    spec["process"]["terminal"] = false;
    spec["process"]["args"] = {"/usr/bin/sleep", "infinity"};
    for (const char* p : {"/usr", "/etc/ld.so.cache"}) {
      spec["mounts"].push_back(
          {{"destination", p}, {"type", "bind"}, {"source", p}, {"options", {"rbind", "ro"}}});
    }
    std::ofstream(ref_dir_ + "/bundle/config.json") << spec.dump(2);
    const std::string img = ref_dir_ + "/vol.img";
    if (Run({"truncate", "-s", "1G", img}) != 0 || Run({"mkfs.ext4", "-q", "-F", img}) != 0) {
      return Internal("making the reference ext4 file failed");
    }
    ns_a_ = prefix_ + "-refa";
    ns_b_ = prefix_ + "-refb";
    veth_ = prefix_ + "rx";
    if (Run({"ip", "netns", "add", ns_a_}) != 0 || Run({"ip", "netns", "add", ns_b_}) != 0 ||
        Run({"ip", "-n", ns_a_, "link", "add", veth_, "type", "veth", "peer", "name",
             prefix_ + "ry"}) != 0) {
      return Internal("making the reference namespaces failed");
    }
    return OkStatus();
  }

  Status ReferenceOnce(int i) {
    const std::string cid = prefix_ + "-ref" + std::to_string(i);
    const std::string root = ref_dir_ + "/run";
    auto t = Steady::now();
    if (Run({"runc", "--root", root, "run", "-d", "--bundle", ref_dir_ + "/bundle", cid}) != 0) {
      return Internal("runc run -d failed");
    }
    stats_["ref run"].ms.push_back(MsSince(t));
    Run({"runc", "--root", root, "delete", "-f", cid});

    t = Steady::now();
    if (Run({"mount", "-o", "loop", ref_dir_ + "/vol.img", ref_dir_ + "/mnt"}) != 0) {
      return Internal("mount -o loop failed");
    }
    stats_["ref attach"].ms.push_back(MsSince(t));
    t = Steady::now();
    if (Run({"umount", ref_dir_ + "/mnt"}) != 0) return Internal("umount failed");
    stats_["ref terminate"].ms.push_back(MsSince(t));

    const bool in_a = i % 2 == 0;
    t = Steady::now();
    if (Run({"ip", "-n", in_a ? ns_a_ : ns_b_, "link", "set", veth_, "netns",
             in_a ? ns_b_ : ns_a_}) != 0) {
      return Internal("ip link set netns failed");
    }
    stats_["ref eni"].ms.push_back(MsSince(t));
    return OkStatus();
  }

  void CleanupReferences() {
    if (!ns_a_.empty()) {
      Run({"ip", "netns", "del", ns_a_});
      Run({"ip", "netns", "del", ns_b_});
    }
    if (!ref_dir_.empty()) Run({"umount", ref_dir_ + "/mnt"});
  }

  void CleanupCloud() {
    if (!eni_holder_.empty()) {
      (void)e_->TerminateInstances({eni_holder_});
      WaitFor([&] { return InstanceState(eni_holder_) == "terminated"; });
    }
  }

  void Print(int runs) {
    struct Row {
      const char* key;
      const char* name;
      const char* ref;
    };
    const Row rows[] = {
        {"run", "RunInstances -> running", "runc run -d (same rootfs)"},
        {"attach", "AttachVolume -> attached", "mount -o loop (ext4)"},
        {"eni", "ENI move (terminate + launch -> running)", "ip link set netns"},
        {"terminate", "terminate -> volume available", "umount (loop, ext4)"},
    };
    std::printf("\nlocal cloud operations, %d runs each (real host driver, engine in-process)\n",
                runs);
    std::printf("%-42s %9s %9s | %-26s %8s %8s | %7s\n", "operation", "p50 ms", "p99 ms",
                "reference", "p50 ms", "p99 ms", "x p50");
    for (const Row& r : rows) {
      const Stats& op = stats_[r.key];
      const Stats& ref = stats_[std::string("ref ") + r.key];
      std::printf("%-42s %9.1f %9.1f | %-26s %8.1f %8.1f | %6.1fx %s\n", r.name, op.P(0.5),
                  op.P(0.99), r.ref, ref.P(0.5), ref.P(0.99), op.P(0.5) / ref.P(0.5),
                  op.P(0.5) < 200 ? "" : "(goal: < 200 ms p50)");
    }
  }

 private:
  Result<std::string> Launch(bool with_eni) {
    RunInstancesRequest r;
    r.image_id = kBaseImageId;
    r.instance_type = "t3.micro";
    r.min_count = r.max_count = 1;
    r.user_data = "#!/bin/sh\nexec sleep infinity\n";
    if (with_eni) {
      NetworkInterfaceRequest n;
      n.network_interface_id = eni_;
      n.device_index = 0;
      r.network_interfaces.push_back(n);
    } else {
      r.subnet_id = subnet_;
    }
    SK_ASSIGN_OR_RETURN(auto res, e_->RunInstances(r));
    if (res.instances.empty()) return Internal("RunInstances: no instance");
    return res.instances.front().instance.id;
  }
  std::string InstanceState(const std::string& id) {
    auto v = e_->FindInstance(id);
    return v ? v->instance.state : "gone";
  }
  std::string VolumeState() {
    DescribeRequest req;
    req.ids = {volume_};
    auto p = e_->DescribeVolumes(req);
    return p.ok() && !p->items.empty() ? p->items.front().state : "?";
  }
  std::string AttachState() {
    DescribeRequest req;
    req.ids = {volume_};
    auto p = e_->DescribeVolumes(req);
    if (!p.ok() || p->items.empty() || !p->items.front().attachment) return "";
    return p->items.front().attachment->status;
  }
  std::string EniStatus() {
    DescribeRequest req;
    req.ids = {eni_};
    auto p = e_->DescribeNetworkInterfaces(req);
    return p.ok() && !p->items.empty() ? p->items.front().status : "?";
  }

  Engine* e_;
  std::string dir_, prefix_, subnet_, rootfs_, volume_, eni_, eni_holder_;
  std::string ref_dir_, ns_a_, ns_b_, veth_;
  std::map<std::string, Stats> stats_;
};

int Main(int argc, char** argv) {
  int runs = 50;
  bool keep_dir = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--keep-dir") {
      keep_dir = true;
    } else {
      std::cerr << "usage: cloud_ops [--runs N] [--keep-dir]\n";
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::cerr << "cloud_ops: the real host driver needs root (namespaces, loop devices, runc)\n";
    return 1;
  }
  char tmpl[] = "/var/tmp/sk-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  int code = 0;
  {
    auto driver = MakeHostDriver("linux", HostDriverOptions{dir, ""});
    if (!driver.ok()) {
      std::cerr << driver.status().ToString() << "\n";
      return 1;
    }
    LocalCloudOptions o;
    o.data_dir = dir;
    o.port = 0;
    o.host_driver_kind = "linux";
    auto cloud = LocalCloud::Start(o, driver->get());
    if (!cloud.ok()) {
      std::cerr << cloud.status().ToString() << "\n";
      (void)(*driver)->DestroyAll();
      return 1;
    }
    // Names of the reference's namespaces and veth (the cloud's own objects carry the driver's
    // prefix, derived from the data dir).
    std::string prefix = "skb" + std::to_string(getpid() % 1000);
    Bench b((*cloud).get(), dir, prefix);
    Status s = b.Setup();
    if (s.ok()) s = b.SetupReferences();
    for (int i = 0; s.ok() && i < runs; ++i) {
      s = b.RunOnce();
      if (s.ok()) s = b.ReferenceOnce(i);
      if ((i + 1) % 10 == 0) std::fprintf(stderr, "  %d/%d runs\n", i + 1, runs);
    }
    if (!s.ok()) {
      std::cerr << "cloud_ops: " << s.ToString() << "\n";
      code = 1;
    } else {
      b.Print(runs);
    }
    b.CleanupReferences();
    b.CleanupCloud();
    (*cloud)->Stop();
    cloud->reset();
    Status d = (*driver)->DestroyAll();
    if (!d.ok()) std::cerr << "cleanup: " << d.ToString() << "\n";
  }
  if (!keep_dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return code;
}

}  // namespace
}  // namespace spotkeeper::cloud

int main(int argc, char** argv) { return spotkeeper::cloud::Main(argc, argv); }
