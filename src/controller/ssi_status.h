// The free-form status JSON of SSIs and groups (store records keep it as text).
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace spotkeeper {

inline nlohmann::json ParseStatusJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text.empty() ? "{}" : text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

// Sets or clears (null) a condition on an SSI; records the transition time.
void SetSsiCondition(SsiRecord& ssi, const std::string& type, const std::string& status,
                     const std::string& reason, const std::string& message, int64_t generation,
                     Time now);

EventRecord MakeEvent(Time at, const SsiRecord& ssi, const std::string& actor,
                      const std::string& kind, const std::string& message);
EventRecord MakeGroupEvent(Time at, const std::string& group_id, const std::string& actor,
                           const std::string& kind, const std::string& message);

}  // namespace spotkeeper
