// The engine's background transitions: each Step* decides the next driver call from the
// recorded state (under mu_), makes it without the lock, and records the outcome (and its
// event) in one transaction.
#include <spdlog/spdlog.h>

#include "cloud/engine/cidr.h"
#include "cloud/engine/engine.h"
#include "cloud/host/crash_point.h"

namespace spotkeeper::cloud {
namespace {

// Commits `tx`, logging a failure (the state in memory is ahead of the file until the next
// successful commit; the next step retries the same transition).
void CommitOrLog(CloudDb::Transaction& tx, const std::string& what) {
  Status s = tx.Commit();
  if (!s.ok()) spdlog::error("cloud: recording {}: {}", what, s.ToString());
}

std::string Hostname(const std::string& ip) {
  std::string h = "ip-" + ip;
  for (char& c : h) {
    if (c == '.') c = '-';
  }
  return h;
}

}  // namespace

Result<InstanceConfig> Engine::ConfigFor(const InstanceRecord& r) const {
  InstanceConfig c;
  c.instance_id = r.id;
  c.hostname = Hostname(r.private_ip);
  auto img = images_.find(r.image_id);
  if (img == images_.end()) return FailedPrecondition("image " + r.image_id + " is gone");
  c.image_rootfs = img->second.rootfs;
  c.root_volume_id = r.root_volume_id;
  auto eni = enis_.find(r.primary_eni_id);
  if (eni == enis_.end()) return FailedPrecondition("interface " + r.primary_eni_id + " is gone");
  c.primary_nic = NicFor(eni->second);
  for (const auto& [id, v] : volumes_) {
    if (id == r.root_volume_id || !v.attachment || v.attachment->instance_id != r.id) continue;
    if (v.attachment->status == "detaching") continue;
    c.volumes.push_back(VolumeMount{id, v.attachment->device});
  }
  c.vcpus = r.vcpus;
  c.memory_mib = r.memory_mib;
  c.user_data = r.user_data;
  return c;
}

Status Engine::FinishTermination(InstanceRecord& r) {
  r.host_started = false;
  r.terminated_ms = ToMillis(options_.clock->Now());
  for (auto& [id, v] : volumes_) {
    if (!v.attachment || v.attachment->instance_id != r.id) continue;
    VolumeRecord vol = v;
    bool dot = vol.attachment->delete_on_termination;
    vol.attachment.reset();
    if (dot) {
      vol.state = "deleting";
    } else {
      vol.state = vol.host_created ? "available" : "creating";
    }
    SK_RETURN_IF_ERROR(Save(vol));
    if (vol.state != "available") Enqueue(vol.id);
  }
  auto eni = enis_.find(r.primary_eni_id);
  if (eni != enis_.end() && eni->second.attachment && eni->second.attachment->instance_id == r.id) {
    EniRecord e = eni->second;
    bool dot = e.attachment->delete_on_termination;
    e.attachment.reset();
    e.status = dot ? "deleting" : "available";
    SK_RETURN_IF_ERROR(Save(e));
    if (dot || !e.host_created) Enqueue(e.id);
  }
  SK_RETURN_IF_ERROR(SetState(r, "terminated"));
  return Save(r);
}

bool Engine::StepInstance(const std::string& id) {
  std::function<Status()> call;
  std::function<Status(InstanceRecord&, const Status&)> record;
  std::string what;
  std::string decided_state;
  bool transition_call = false;  // StartInstance/StopInstance: applies only if the state holds
  bool start_call = false;
  bool shut_down = false;              // an attach found the instance's init gone
  const char* crash_before = nullptr;  // crash points around the driver call (crash_point.h)
  const char* crash_after = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = instances_.find(id);
    if (it == instances_.end()) return false;
    const InstanceRecord& r = it->second;
    decided_state = r.state;
    if (r.state == "pending") {
      auto vpc = vpcs_.find(r.vpc_id);
      if (vpc != vpcs_.end() && !vpc->second.host_created) {
        Enqueue(vpc->first);  // it re-queues us when the VPC exists
        return false;
      }
      auto eni = enis_.find(r.primary_eni_id);
      if (eni != enis_.end() && !eni->second.host_created) {
        Enqueue(eni->first);  // likewise
        return false;
      }
      // Volumes made by this launch (root and block device mappings) first.
      for (const auto& [vid, v] : volumes_) {
        if (!v.attachment || v.attachment->instance_id != id || v.host_created) continue;
        what = "create volume " + vid;
        std::string vol_id = vid;
        call = MakeVolumeCall(v);  // restored when it has a snapshot
        record = [this, vol_id](InstanceRecord&, const Status& s) {
          if (!s.ok()) return OkStatus();
          VolumeRecord v = volumes_.at(vol_id);
          v.host_created = true;
          return Save(v);
        };
        break;
      }
      if (!call) {
        auto config = ConfigFor(r);
        what = "start " + id;
        transition_call = true;
        start_call = true;
        crash_before = "engine.instance.before-start";
        crash_after = "engine.instance.after-start";
        if (!config.ok()) {
          call = [config] { return config.status(); };
        } else {
          InstanceConfig c = *config;
          call = [this, c] { return driver_->StartInstance(c); };
        }
        record = [this](InstanceRecord& r, const Status& s) {
          if (!s.ok()) return OkStatus();
          r.host_started = true;
          int64_t now = ToMillis(options_.clock->Now());
          for (auto& [vid, v] : volumes_) {
            if (!v.attachment || v.attachment->instance_id != r.id) continue;
            if (v.attachment->status == "attaching") {
              VolumeRecord vol = v;
              vol.attachment->status = "attached";
              if (vol.attachment->attach_ms == 0) vol.attachment->attach_ms = now;
              SK_RETURN_IF_ERROR(Save(vol));
            }
          }
          auto eni = enis_.find(r.primary_eni_id);
          if (eni != enis_.end() && eni->second.attachment) {
            EniRecord e = eni->second;
            e.attachment->status = "attached";
            e.status = "in-use";
            SK_RETURN_IF_ERROR(Save(e));
          }
          r.state_reason_code.clear();
          r.state_reason_message.clear();
          r.transition_reason.clear();
          return SetState(r, "running");
        };
      }
    } else if (r.state == "stopping" || r.state == "shutting-down") {
      bool terminating = r.state == "shutting-down";
      what = (terminating ? "terminate " : "stop ") + id;
      transition_call = true;
      call = [this, id] { return driver_->StopInstance(id, options_.stop_grace); };
      record = [this, terminating](InstanceRecord& r, const Status& s) {
        if (!s.ok()) return OkStatus();
        if (terminating) return FinishTermination(r);
        r.host_started = false;
        for (auto& [vid, v] : volumes_) {
          if (!v.attachment || v.attachment->instance_id != r.id) continue;
          VolumeRecord vol = v;
          if (vol.attachment->status == "detaching") {
            vol.attachment.reset();
            vol.state = "available";
          } else {
            vol.attachment->status = "attached";
          }
          SK_RETURN_IF_ERROR(Save(vol));
        }
        return SetState(r, "stopped");
      };
    } else if (r.state == "running" || r.state == "stopped") {
      // Attachments changing while the instance runs (or, without driver calls, while stopped).
      bool running = r.state == "running";
      for (const auto& [vid, v] : volumes_) {
        if (!v.attachment || v.attachment->instance_id != id) continue;
        const std::string& st = v.attachment->status;
        if (st != "attaching" && st != "detaching") continue;
        VolumeMount m{vid, v.attachment->device};
        bool attach = st == "attaching";
        what = (attach ? "attach " : "detach ") + vid + " to " + id;
        if (running) {
          call = [this, id, m, attach, &shut_down] {
            if (!attach) return driver_->DetachVolume(id, m);
            Status s = driver_->AttachVolume(id, m);
            if (!s.ok()) {
              // The workload may have ended (the init exited) after the attach was accepted.
              // Then the instance is shutting down, not the attach failing: the volume stays
              // attached, as on EC2, and the instance's stop carries it.
              Result<RuntimeState> st = driver_->GetInstanceState(id);
              shut_down = st.ok() && *st != RuntimeState::kRunning;
            }
            return s;
          };
          if (attach) {
            crash_before = "engine.volume.before-attach";
            crash_after = "engine.volume.after-attach";
          }
        } else {
          call = [] { return OkStatus(); };
        }
        std::string vol_id = vid;
        record = [this, vol_id, attach](InstanceRecord&, const Status& s) {
          VolumeRecord vol = volumes_.at(vol_id);
          if (s.ok() && attach) {
            vol.attachment->status = "attached";
          } else if (s.ok() || attach) {
            // Detached; or the attach failed for good: the volume is available again.
            vol.attachment.reset();
            vol.state = "available";
          } else {
            return OkStatus();  // a failed detach stays "detaching" and is retried
          }
          return Save(vol);
        };
        break;
      }
      if (!call) return false;
    } else {
      return false;
    }
  }

  if (crash_before != nullptr) CrashPoint(crash_before);
  Status s = call();
  if (s.ok() && crash_after != nullptr) CrashPoint(crash_after);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find(id);
  if (it == instances_.end()) return false;
  InstanceRecord r = it->second;
  if (transition_call && r.state != decided_state) {
    // Another call changed the instance meanwhile (terminated while launching, ...): keep only
    // what the host now has, and decide again.
    if (s.ok()) {
      r.host_started = start_call;
      CloudDb::Transaction tx(db_);
      Status rs = Save(r);
      if (!rs.ok()) spdlog::error("cloud: recording {}: {}", what, rs.ToString());
      CommitOrLog(tx, what);
    }
    return true;
  }
  if (shut_down && r.state == "running") {
    CloudDb::Transaction tx(db_);
    Status rs = MarkShutDownFromInside(r);
    if (rs.ok()) rs = Save(r);
    if (!rs.ok()) spdlog::error("cloud: recording {}: {}", what, rs.ToString());
    CommitOrLog(tx, what);
    spdlog::info("cloud: {} shut down from inside during an attach; now {}", id, r.state);
    return true;  // the stop or termination runs next, carrying the attachment
  }
  bool retry = false;
  bool terminal = false;
  if (!s.ok()) {
    retry = NoteFailure(id, s);
    terminal = !retry;
  } else {
    failures_.erase(id);
  }
  CloudDb::Transaction tx(db_);
  Status rs = OkStatus();
  if (s.ok() || terminal) rs = record(r, s);
  bool launch_failed = terminal && r.state == "pending";
  if (launch_failed) {
    // A launch that keeps failing ends as EC2 ends one: the instance terminates.
    spdlog::error("cloud: {} failed: {}; terminating the instance", what, s.ToString());
    r.state_reason_code = "Server.InternalError";
    r.state_reason_message = "Server.InternalError: Internal error on launch";
    rs = SetState(r, "shutting-down");
  }
  if (rs.ok()) rs = Save(r);
  if (!rs.ok()) spdlog::error("cloud: recording {}: {}", what, rs.ToString());
  CommitOrLog(tx, what);
  // After a failure for good, only a failed launch moves on (to its termination); the rest
  // stays as recorded and the watch re-queues it later.
  if (terminal) return launch_failed;
  return true;
}

bool Engine::StepVolume(const std::string& id) {
  std::function<Status()> call;
  bool deleting = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = volumes_.find(id);
    if (it == volumes_.end()) return false;
    const VolumeRecord& v = it->second;
    if (v.state == "creating") {
      call = MakeVolumeCall(v);  // restored when it has a snapshot
    } else if (v.state == "deleting") {
      if (VolumeAwaitsCaptureLocked(id)) return false;  // the capture queues it again
      deleting = true;
      call = [this, id] { return driver_->DeleteVolume(id); };
    } else {
      return false;
    }
  }
  Status s = call();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = volumes_.find(id);
  if (it == volumes_.end()) return false;
  VolumeRecord v = it->second;
  CloudDb::Transaction tx(db_);
  Status rs;
  if (s.ok()) {
    failures_.erase(id);
    if (deleting) {
      rs = Erase(id);
    } else {
      v.host_created = true;
      v.state = "available";
      rs = Save(v);
    }
  } else if (!NoteFailure(id, s)) {
    if (!deleting) {
      v.state = "error";
      rs = Save(v);
    }
    if (rs.ok()) CommitOrLog(tx, "volume " + id);
    return false;
  }
  if (!rs.ok()) spdlog::error("cloud: recording volume {}: {}", id, rs.ToString());
  CommitOrLog(tx, "volume " + id);
  return !s.ok();
}

bool Engine::StepEni(const std::string& id) {
  std::function<Status()> call;
  bool deleting = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = enis_.find(id);
    if (it == enis_.end()) return false;
    const EniRecord& e = it->second;
    if (e.status == "deleting") {
      deleting = true;
      if (!e.host_created) {
        call = [] { return OkStatus(); };
      } else {
        NicConfig n = NicFor(e);
        call = [this, n] { return driver_->DeleteNic(n); };
      }
    } else if (!e.host_created) {
      auto vpc = vpcs_.find(e.vpc_id);
      if (vpc != vpcs_.end() && !vpc->second.host_created) {
        Enqueue(vpc->first);
        return false;
      }
      NicConfig n = NicFor(e);
      call = [this, n] { return driver_->CreateNic(n); };
    } else if (e.status == "pending") {
      call = [] { return OkStatus(); };
    } else {
      return false;
    }
  }
  Status s = call();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = enis_.find(id);
  if (it == enis_.end()) return false;
  EniRecord e = it->second;
  if (!s.ok()) {
    if (NoteFailure(id, s)) return true;
    return false;  // the watch re-queues it
  }
  failures_.erase(id);
  CloudDb::Transaction tx(db_);
  Status rs;
  if (deleting) {
    rs = Erase(id);
  } else {
    e.host_created = true;
    if (e.status == "pending") e.status = e.attachment ? "in-use" : "available";
    rs = Save(e);
    if (e.attachment) Enqueue(e.attachment->instance_id);
  }
  if (!rs.ok()) spdlog::error("cloud: recording interface {}: {}", id, rs.ToString());
  CommitOrLog(tx, "interface " + id);
  return false;
}

bool Engine::StepVpc(const std::string& id) {
  VpcNetwork net;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = vpcs_.find(id);
    if (it == vpcs_.end() || it->second.host_created) return false;
    net = VpcFor(it->second);
  }
  Status s = driver_->EnsureVpc(net);
  VpcRecord done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = vpcs_.find(id);
    if (it == vpcs_.end()) return false;
    if (!s.ok()) return NoteFailure(id, s);
    failures_.erase(id);
    VpcRecord v = it->second;
    v.host_created = true;
    v.state = "available";
    CloudDb::Transaction tx(db_);
    Status rs = Save(v);
    if (!rs.ok()) spdlog::error("cloud: recording vpc {}: {}", id, rs.ToString());
    CommitOrLog(tx, "vpc " + id);
    for (const auto& [eid, e] : enis_) {
      if (e.vpc_id == id && !e.host_created) Enqueue(eid);
    }
    for (const auto& [iid, r] : instances_) {
      if (r.vpc_id == id && r.state == "pending") Enqueue(iid);
    }
    done = v;
  }
  NotifyVpcAvailable(done);
  return false;
}

}  // namespace spotkeeper::cloud
