#include "cloud/host/linux/runc_spec.h"

#include <linux/capability.h>
#include <sys/prctl.h>

#include <cerrno>

namespace spotkeeper::cloud::linuxhost {
namespace {

using nlohmann::json;

json Mount(const std::string& dest, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

// Docker's default set plus IPC_LOCK and SYS_NICE (databases use them), without SYS_ADMIN,
// NET_ADMIN, SYS_MODULE or NET_RAW: the instance cannot change its own network or mounts, and
// cannot write packets by hand (ARP or IP with another instance's address: IMDS tells instances
// apart by their source address, see docs/hardening.md). Only those
// this process has in its bounding set (a container host may lack some): runc fails on others.
const std::vector<std::string>& Capabilities() {
  static const std::vector<std::string> caps = [] {
    const std::pair<const char*, int> wanted[] = {
        {"CAP_CHOWN", CAP_CHOWN},
        {"CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE},
        {"CAP_FSETID", CAP_FSETID},
        {"CAP_FOWNER", CAP_FOWNER},
        {"CAP_MKNOD", CAP_MKNOD},
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

// The system calls an instance may not make, answered EPERM: a default-allow list in the spirit of
// Docker's default profile (our own list, shorter): what reaches the kernel's most exposed or
// host-wide parts. Most also need a capability the instance lacks; the filter stops them before
// the kernel looks further. A workload that needs one of these is not one the local cloud runs.
const std::vector<std::string>& BlockedSyscalls() {
  static const std::vector<std::string> names = {
      // the running kernel: modules, kexec, reboot, swap, accounting, kernel log
      "init_module", "finit_module", "delete_module", "create_module", "kexec_load",
      "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "syslog", "lookup_dcookie",
      "quotactl", "quotactl_fd", "nfsservctl", "_sysctl", "uselib", "get_kernel_syms",
      "query_module", "vm86", "vm86old", "iopl", "ioperm",
      // the host's clock
      "settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime",
      "clock_adjtime64", "adjtimex",
      // mounts and namespaces (a new user namespace would give every capability inside it)
      "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
      "move_mount", "open_tree", "mount_setattr", "setns",
      // another process's memory, and kernel objects shared across the host
      "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
      "open_by_handle_at", "name_to_handle_at", "keyctl", "add_key", "request_key", "bpf",
      "perf_event_open", "userfaultfd", "fanotify_init",
      // io_uring bypasses this filter for the operations it queues
      "io_uring_setup", "io_uring_enter", "io_uring_register"};
  return names;
}

json SeccompProfile() {
  constexpr uint64_t kCloneNewUser = 0x10000000;  // CLONE_NEWUSER (linux/sched.h)
  const json eperm = {{"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EPERM}};
  json syscalls = json::array();
  json blocked = eperm;
  blocked["names"] = BlockedSyscalls();
  syscalls.push_back(blocked);
  // unshare(2) and clone(2) with CLONE_NEWUSER; the other namespaces need CAP_SYS_ADMIN.
  for (const char* name : {"unshare", "clone"}) {
    json rule = eperm;
    rule["names"] = {name};
    rule["args"] = {{{"index", 0},
                     {"value", kCloneNewUser},
                     {"valueTwo", kCloneNewUser},
                     {"op", "SCMP_CMP_MASKED_EQ"}}};
    syscalls.push_back(rule);
  }
  // clone3 passes its flags in memory, which a filter cannot read: ENOSYS makes glibc (2.34+)
  // and Go fall back to clone, filtered above. EPERM would fail pthread_create instead.
  syscalls.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}});
  json architectures = json::array();
#if defined(__x86_64__)
  architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
  architectures = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#endif
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", architectures},
          {"syscalls", syscalls}};
}

}  // namespace

const std::vector<std::string>& SeccompBlockedSyscalls() { return BlockedSyscalls(); }

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
  if (!in.ping_binary.empty()) {
    // The host's ping carries the file capability cap_net_raw, which exec refuses without
    // NET_RAW in the bounding set; this copy has none and uses an ICMP datagram socket, which
    // net.ipv4.ping_group_range below allows.
    mounts.push_back(Mount("/usr/bin/ping", "bind", in.ping_binary, {"bind", "ro", "nodev"}));
  }
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
      // Per network namespace: ping without NET_RAW (ICMP datagram sockets for every group).
      {"sysctl", {{"net.ipv4.ping_group_range", "0 2147483647"}}},
      {"seccomp", SeccompProfile()},
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
