#include "store/store.h"

#include <array>
#include <utility>

namespace spotkeeper {
namespace {

constexpr std::array<std::pair<SsiState, const char*>, 12> kSsiStateNames = {{
    {SsiState::kActive, "ACTIVE"},
    {SsiState::kPause, "PAUSE"},
    {SsiState::kPausing, "PAUSING"},
    {SsiState::kPaused, "PAUSED"},
    {SsiState::kResume, "RESUME"},
    {SsiState::kResuming, "RESUMING"},
    {SsiState::kRecycle, "RECYCLE"},
    {SsiState::kRecycling, "RECYCLING"},
    {SsiState::kDeallocate, "DEALLOCATE"},
    {SsiState::kDeallocating, "DEALLOCATING"},
    {SsiState::kDeallocated, "DEALLOCATED"},
    {SsiState::kError, "ERROR"},
}};

}  // namespace

const char* SsiStateName(SsiState s) {
  for (const auto& [state, name] : kSsiStateNames) {
    if (state == s) return name;
  }
  return "UNKNOWN";
}

std::optional<SsiState> ParseSsiState(const std::string& s) {
  for (const auto& [state, name] : kSsiStateNames) {
    if (s == name) return state;
  }
  return std::nullopt;
}

Result<PruneResult> Store::Prune(const PruneRequest&) {
  return Unimplemented("store: this store keeps all history (it cannot prune)");
}

}  // namespace spotkeeper
