#include "controller/sweeper.h"

#include <spdlog/spdlog.h>

#include "controller/ssi_status.h"

namespace spotkeeper {

Status Sweeper::Sweep() {
  Filter f;
  f.tags[kTagGroup] = "";
  SK_ASSIGN_OR_RETURN(std::vector<Instance> instances, env_.cloud->DescribeInstances(f));
  Observed obs;
  obs.at = env_.clock->Now();
  obs.valid = true;
  for (const auto& i : instances) {
    obs.instances[i.id] = InstanceObservation{i.state, false, i.launch_time, i.instance_type,
                                              i.availability_zone, i.market};
  }
  auto statuses = env_.cloud->DescribeInstanceStatus({});
  if (statuses.ok()) {
    for (const auto& st : *statuses) {
      auto it = obs.instances.find(st.instance_id);
      if (it == obs.instances.end()) continue;
      it->second.impaired = st.system_status == "impaired" || st.instance_status == "impaired";
    }
  }
  observed_ = std::move(obs);
  return OkStatus();
}

Result<bool> Sweeper::IsOrphan(const std::string& id, const std::string& ssi_id, Time created,
                               const std::set<std::string>& busy) {
  Time now = env_.clock->Now();
  auto [it, inserted] = first_seen_.emplace(id, now);
  if (created == kEpoch) created = it->second;
  if (now - created < env_.options->orphan_grace) return false;
  if (busy.count(ssi_id)) return false;  // a running workflow may be about to record it
  auto rec = env_.store->GetResource(id);
  if (rec.ok()) {
    if (rec->status == "deleted") return true;  // recorded as gone, yet here: delete again
    if (rec->kind != "instance") return false;  // owned (current, retiring or released)
    // An instance on record is an orphan once it is no longer its SSI's instance.
    auto ssi = env_.store->GetSsi(rec->ssi_id);
    return !ssi.ok() || ssi->instance_id != id;
  }
  if (rec.status().code() != Code::kNotFound) return rec.status();
  return true;
}

Status Sweeper::CollectOrphans() {
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> running, env_.store->ListRunningWorkflows());
  std::set<std::string> busy;
  for (const auto& w : running) busy.insert(w.ssi_id);
  Filter f;
  f.tags[kTagSsi] = "";
  Time now = env_.clock->Now();
  std::vector<EventRecord> events;
  auto note = [&](const std::string& id, const Tags& tags, const Status& s) {
    if (s.ok() || s.code() == Code::kNotFound) {
      ++orphans_deleted_;
      auto ssi = tags.find(kTagSsi);
      events.push_back(EventRecord{0, now, tags.count(kTagGroup) ? tags.at(kTagGroup) : "",
                                   ssi == tags.end() ? "" : ssi->second, "controller",
                                   "OrphanDeleted",
                                   id + " was tagged by spotkeeper but owned "
                                        "by no stateful instance"});
      first_seen_.erase(id);
    } else {
      spdlog::warn("delete orphan {}: {}", id, s.ToString());
    }
  };
  auto ssi_of = [](const Tags& t) {
    auto it = t.find(kTagSsi);
    return it == t.end() ? std::string() : it->second;
  };

  SK_ASSIGN_OR_RETURN(auto instances, env_.cloud->DescribeInstances(f));
  for (const auto& i : instances) {
    if (i.state == InstanceState::kTerminated || i.state == InstanceState::kShuttingDown) continue;
    SK_ASSIGN_OR_RETURN(bool orphan, IsOrphan(i.id, ssi_of(i.tags), i.launch_time, busy));
    if (orphan) note(i.id, i.tags, env_.cloud->TerminateInstance(i.id));
  }
  SK_ASSIGN_OR_RETURN(auto images, env_.cloud->DescribeImages(f));
  for (const auto& im : images) {
    SK_ASSIGN_OR_RETURN(bool orphan, IsOrphan(im.id, ssi_of(im.tags), im.creation_date, busy));
    if (orphan) note(im.id, im.tags, env_.cloud->DeregisterImage(im.id));
  }
  SK_ASSIGN_OR_RETURN(auto snaps, env_.cloud->DescribeSnapshots(f));
  for (const auto& s : snaps) {
    SK_ASSIGN_OR_RETURN(bool orphan, IsOrphan(s.id, ssi_of(s.tags), s.start_time, busy));
    if (orphan) note(s.id, s.tags, env_.cloud->DeleteSnapshot(s.id));
  }
  SK_ASSIGN_OR_RETURN(auto volumes, env_.cloud->DescribeVolumes(f));
  for (const auto& v : volumes) {
    if (v.state != "available") continue;  // attached: its instance goes first
    SK_ASSIGN_OR_RETURN(bool orphan, IsOrphan(v.id, ssi_of(v.tags), v.create_time, busy));
    if (orphan) note(v.id, v.tags, env_.cloud->DeleteVolume(v.id));
  }
  SK_ASSIGN_OR_RETURN(auto enis, env_.cloud->DescribeNetworkInterfaces(f));
  for (const auto& e : enis) {
    if (e.status != "available") continue;
    SK_ASSIGN_OR_RETURN(bool orphan, IsOrphan(e.id, ssi_of(e.tags), kEpoch, busy));
    if (orphan) note(e.id, e.tags, env_.cloud->DeleteNetworkInterface(e.id));
  }
  if (events.empty()) return OkStatus();
  SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
  for (const auto& e : events) SK_RETURN_IF_ERROR(tx->AppendEvent(e));
  return tx->Commit();
}

}  // namespace spotkeeper
