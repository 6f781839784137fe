// LeaderOrder: the order of planned recycles in a quorum (health.leader). When several members
// of a group wait for a planned recycle at once (a rolling recycle, a statefulRecycle task) and
// maxUnavailable lets one go, the reconciler asks each waiting member's health.leader probe and
// lets the members that lead wait until the others are done: a quorum that has no leadership
// hand-over (ZooKeeper) then holds one election for the whole roll, not one per leader it meets
// (a follower recycled first keeps the leader; a leader recycled first hands the lead to a member
// that is recycled later, which costs a second election).
//
// The answers come from the cloud's ProbeServing: inline (the simulation, fake-clock tests) or,
// with a ServingProber (the server), on a worker, so a probe that takes its whole timeout never
// holds up the controller's tick; while an answer is in flight the waiting recycles wait too,
// at most (members x timeout + kLeaderAskSlack), then go in the members' order. An answer is used
// for kLeaderAnswerFresh after it came, then asked again (the lead may have moved). A probe that
// fails means "not the leader"; when the probe passes on no waiting member, or on all of them,
// the order is left as it was.
// Thread safety: the reconciler's thread only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/time.h"
#include "provider/cloud_provider.h"
#include "spec/group_spec.h"
#include "store/store.h"

namespace spotkeeper {

class ServingProber;

inline constexpr Duration kLeaderAnswerFresh{5000};
inline constexpr Duration kLeaderAskSlack{5000};

class LeaderOrder {
 public:
  // `prober` may be null: probes then run inline.
  LeaderOrder(CloudProvider* cloud, const Clock* clock, ServingProber* prober)
      : cloud_(cloud), clock_(clock), prober_(prober) {}

  struct Decision {
    bool asking = false;         // answers are in flight: no queued recycle starts yet
    std::set<std::string> last;  // SSIs that lead: they wait for the others
  };
  // `queued`: the group's SSIs waiting for a planned recycle, in the order they would go.
  Decision Decide(const std::string& group_id, const LeaderCheckSpec& check,
                  const std::vector<const SsiRecord*>& queued);
  // Forgets what it knows of SSIs not in `ssi_ids` and of groups not in `group_ids`.
  void Retain(const std::set<std::string>& group_ids, const std::set<std::string>& ssi_ids);

  static std::string ProberKey(const std::string& ssi_id) { return "leader/" + ssi_id; }

 private:
  struct Answer {
    std::string instance_id;
    bool leads = false;
    Time at;
  };
  // Whether `ssi` leads; nothing while its probe is in flight.
  std::optional<bool> Leads(const SsiRecord& ssi, const LeaderCheckSpec& check, Time now);

  CloudProvider* cloud_;
  const Clock* clock_;
  ServingProber* prober_;
  struct Asking {
    Time since;
    bool warned = false;
  };
  std::map<std::string, Answer> answers_;       // by SSI id
  std::map<std::string, Asking> asking_since_;  // by group id
};

}  // namespace spotkeeper
