#include "store/store.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

TEST(SsiStateTest, NamesRoundTrip) {
  const std::pair<SsiState, std::string> kAll[] = {
      {SsiState::kActive, "ACTIVE"},           {SsiState::kPause, "PAUSE"},
      {SsiState::kPausing, "PAUSING"},         {SsiState::kPaused, "PAUSED"},
      {SsiState::kResume, "RESUME"},           {SsiState::kResuming, "RESUMING"},
      {SsiState::kRecycle, "RECYCLE"},         {SsiState::kRecycling, "RECYCLING"},
      {SsiState::kDeallocate, "DEALLOCATE"},   {SsiState::kDeallocating, "DEALLOCATING"},
      {SsiState::kDeallocated, "DEALLOCATED"}, {SsiState::kError, "ERROR"},
  };
  for (const auto& [state, name] : kAll) {
    EXPECT_EQ(SsiStateName(state), name);
    EXPECT_EQ(ParseSsiState(name), state) << name;
  }
}

TEST(SsiStateTest, ParseRejectsUnknownNames) {
  EXPECT_EQ(ParseSsiState(""), std::nullopt);
  EXPECT_EQ(ParseSsiState("active"), std::nullopt);
  EXPECT_EQ(ParseSsiState("RUNNING"), std::nullopt);
  EXPECT_EQ(ParseSsiState("ACTIVE "), std::nullopt);
}

}  // namespace
}  // namespace spotkeeper
