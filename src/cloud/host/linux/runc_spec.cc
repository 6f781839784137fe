#include "cloud/host/linux/runc_spec.h"

#include <linux/capability.h>
#include <sys/prctl.h>

namespace spotkeeper::cloud::linuxhost {
namespace {

using nlohmann::json;

json Mount(const std::string& dest, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

// Docker's default set plus IPC_LOCK and SYS_NICE (databases use them), without SYS_ADMIN,
// NET_ADMIN or SYS_MODULE: the instance cannot change its own network or mounts. Only those
// this process has in its bounding set (a container host may lack some): runc fails on others.
const std::vector<std::string>& Capabilities() {
  static const std::vector<std::string> caps = [] {
    const std::pair<const char*, int> wanted[] = {
        {"CAP_CHOWN", CAP_CHOWN},
        {"CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE},
        {"CAP_FSETID", CAP_FSETID},
        {"CAP_FOWNER", CAP_FOWNER},
        {"CAP_MKNOD", CAP_MKNOD},
        {"CAP_NET_RAW", CAP_NET_RAW},
        {"CAP_SETGID", CAP_SETGID},
        {"CAP_SETUID", CAP_SETUID},
        {"CAP_SETFCAP", CAP_SETFCAP},
        {"CAP_SETPCAP", CAP_SETPCAP},
        {"CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE},
        {"CAP_SYS_CHROOT", CAP_SYS_CHROOT},
        {"CAP_KILL", CAP_KILL},
        {"CAP_AUDIT_WRITE", CAP_AUDIT_WRITE},
        {"CAP_IPC_LOCK", CAP_IPC_LOCK},
        {"CAP_SYS_NICE", CAP_SYS_NICE},
    };
    std::vector<std::string> have;
    for (const auto& [name, number] : wanted) {
      if (prctl(PR_CAPBSET_READ, number) == 1) have.push_back(name);
    }
    return have;
  }();
  return caps;
}

}  // namespace

json BuildRuncSpec(const RuncSpecInput& in) {
  const auto& caps = Capabilities();
  json process = {
      {"terminal", false},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {kInitPathInInstance, kUserDataPathInInstance}},
      {"env",
       {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
        "LANG=C.UTF-8", "SPOTKEEPER_INSTANCE_ID=" + in.instance_id}},
      {"cwd", "/"},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
      {"rlimits",
       {{{"type", "RLIMIT_NOFILE"}, {"hard", in.max_open_files}, {"soft", in.max_open_files}}}},
      {"noNewPrivileges", false},
  };
  json mounts = json::array({
      Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      Mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
      Mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}),
      Mount("/run", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=755"}),
      Mount("/usr", "bind", "/usr", {"rbind", "ro", "nodev"}),
      Mount("/etc/ld.so.cache", "bind", "/etc/ld.so.cache", {"bind", "ro"}),
      // Debian's alternatives (awk → mawk, nc, editor, ...) are links through /etc.
      Mount("/etc/alternatives", "bind", "/etc/alternatives", {"rbind", "ro"}),
      Mount(kInitPathInInstance, "bind", in.init_binary, {"bind", "ro"}),
      Mount(kUserDataPathInInstance, "bind", in.user_data_file, {"bind", "ro", "nosuid", "nodev"}),
      // Read-only itself (a workload cannot make /mnt/sdf before the volume is there); the
      // volumes mounted below it later arrive read-write by propagation.
      Mount("/mnt", "bind", in.mnt_dir, {"rbind", "rslave", "ro"}),
  });
  const int64_t cpu_period = 100000;
  json resources = {
      {"devices", {{{"allow", false}, {"access", "rwm"}}}},
      {"memory", {{"limit", in.memory_mib * 1024 * 1024}}},
      {"cpu", {{"quota", cpu_period * in.vcpus}, {"period", cpu_period}}},
      {"pids", {{"limit", 32768}}},
  };
  json linux_section = {
      {"cgroupsPath", in.cgroups_path},
      {"resources", resources},
      {"namespaces",
       {{{"type", "pid"}},
        {{"type", "ipc"}},
        {{"type", "uts"}},
        {{"type", "mount"}},
        {{"type", "network"}, {"path", in.netns_path}}}},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  return {
      {"ociVersion", "1.0.2-dev"},
      {"process", process},
      {"root", {{"path", in.rootfs}, {"readonly", false}}},
      {"hostname", in.hostname.empty() ? in.instance_id : in.hostname},
      {"mounts", mounts},
      {"linux", linux_section},
  };
}

}  // namespace spotkeeper::cloud::linuxhost
