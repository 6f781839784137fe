#include "controller/ssi_status.h"

namespace spotkeeper {

void SetSsiCondition(SsiRecord& ssi, const std::string& type, const std::string& status,
                     const std::string& reason, const std::string& message, int64_t generation,
                     Time now) {
  for (auto& c : ssi.conditions) {
    if (c.type != type) continue;
    if (c.status != status) c.last_transition = now;
    c.status = status;
    c.reason = reason;
    c.message = message;
    c.observed_generation = generation;
    return;
  }
  ssi.conditions.push_back({type, status, reason, message, generation, now});
}

EventRecord MakeEvent(Time at, const SsiRecord& ssi, const std::string& actor,
                      const std::string& kind, const std::string& message) {
  return EventRecord{0, at, ssi.group_id, ssi.id, actor, kind, message};
}

EventRecord MakeGroupEvent(Time at, const std::string& group_id, const std::string& actor,
                           const std::string& kind, const std::string& message) {
  return EventRecord{0, at, group_id, "", actor, kind, message};
}

}  // namespace spotkeeper
