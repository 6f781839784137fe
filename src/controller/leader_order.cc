#include "controller/leader_order.h"

#include <spdlog/spdlog.h>

#include "controller/serving_prober.h"

namespace spotkeeper {

std::optional<bool> LeaderOrder::Leads(const SsiRecord& ssi, const LeaderCheckSpec& check,
                                       Time now) {
  if (ssi.instance_id.empty() || ssi.private_ip.empty()) return false;  // nothing runs to lead
  auto it = answers_.find(ssi.id);
  if (it != answers_.end() && it->second.instance_id == ssi.instance_id &&
      now - it->second.at < kLeaderAnswerFresh) {
    return it->second.leads;
  }
  const Duration timeout = std::chrono::seconds(check.timeout_seconds);
  std::optional<Status> answer;
  if (prober_ != nullptr) {
    answer = prober_->Probe(ProberKey(ssi.id), ServingProbeRequest{ssi.instance_id, ssi.private_ip,
                                                                   check.probe, timeout});
  } else {
    answer = cloud_->ProbeServing(ssi.instance_id, ssi.private_ip, check.probe, timeout);
  }
  if (!answer) return std::nullopt;
  answers_[ssi.id] = Answer{ssi.instance_id, answer->ok(), now};
  return answer->ok();
}

LeaderOrder::Decision LeaderOrder::Decide(const std::string& group_id, const LeaderCheckSpec& check,
                                          const std::vector<const SsiRecord*>& queued) {
  Decision d;
  if (queued.size() < 2) {
    asking_since_.erase(group_id);
    return d;
  }
  const Time now = clock_->Now();
  std::vector<const SsiRecord*> leading;
  bool asking = false;
  for (const SsiRecord* s : queued) {
    std::optional<bool> leads = Leads(*s, check, now);
    if (!leads) {
      asking = true;
    } else if (*leads) {
      leading.push_back(s);
    }
  }
  if (asking) {
    Asking& a = asking_since_.try_emplace(group_id, Asking{now, false}).first->second;
    const Duration bound =
        std::chrono::seconds(check.timeout_seconds) * static_cast<int64_t>(queued.size()) +
        kLeaderAskSlack;
    if (now - a.since < bound) {
      d.asking = true;
      return d;
    }
    if (!a.warned) {
      a.warned = true;
      spdlog::warn(
          "group {}: no answer from health.leader within {}; recycling in the "
          "members' order",
          group_id, FormatDuration(bound));
    }
  } else {
    asking_since_.erase(group_id);
  }
  if (leading.empty() || leading.size() == queued.size()) return d;  // the probe tells nothing
  for (const SsiRecord* s : leading) d.last.insert(s->id);
  return d;
}

void LeaderOrder::Retain(const std::set<std::string>& group_ids,
                         const std::set<std::string>& ssi_ids) {
  for (auto it = answers_.begin(); it != answers_.end();) {
    it = ssi_ids.count(it->first) ? std::next(it) : answers_.erase(it);
  }
  for (auto it = asking_since_.begin(); it != asking_since_.end();) {
    it = group_ids.count(it->first) ? std::next(it) : asking_since_.erase(it);
  }
  if (prober_ != nullptr) {
    std::set<std::string> keys;
    for (const auto& id : ssi_ids) keys.insert(ProberKey(id));
    prober_->Retain(keys);
  }
}

}  // namespace spotkeeper
