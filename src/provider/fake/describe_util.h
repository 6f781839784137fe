// Helpers shared by the fake cloud's Describe calls: EC2's id errors and filter matching.
// Internal to src/provider/fake.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "provider/cloud_provider.h"
#include "provider/fake/tag_index.h"

namespace spotkeeper::fake {

// How EC2 names one kind of id and its errors.
struct IdKind {
  const char* prefix;          // "i-"
  const char* malformed_code;  // "InvalidInstanceID.Malformed"
  const char* not_found_code;  // "InvalidInstanceID.NotFound"
  const char* noun;            // "instance ID"
};
inline constexpr IdKind kInstanceIds{"i-", "InvalidInstanceID.Malformed",
                                     "InvalidInstanceID.NotFound", "instance ID"};
inline constexpr IdKind kVolumeIds{"vol-", "InvalidVolumeID.Malformed", "InvalidVolume.NotFound",
                                   "volume"};
inline constexpr IdKind kSnapshotIds{"snap-", "InvalidSnapshotID.Malformed",
                                     "InvalidSnapshot.NotFound", "snapshot"};
inline constexpr IdKind kImageIds{"ami-", "InvalidAMIID.Malformed", "InvalidAMIID.NotFound",
                                  "image id"};
inline constexpr IdKind kEniIds{"eni-", "InvalidNetworkInterfaceID.Malformed",
                                "InvalidNetworkInterfaceID.NotFound", "networkInterface ID"};
inline constexpr IdKind kSubnetIds{"subnet-", "InvalidSubnetID.Malformed",
                                   "InvalidSubnetID.NotFound", "subnet ID"};
inline constexpr IdKind kSpotRequestIds{"sir-", "InvalidSpotInstanceRequestID.Malformed",
                                        "InvalidSpotInstanceRequestID.NotFound",
                                        "spot instance request ID"};

// The error for ids that do not exist: Malformed (InvalidArgument) when one lacks the kind's
// prefix, else NotFound listing them all, as EC2 words it.
Status UnknownIds(const IdKind& kind, const std::vector<std::string>& ids);
inline Status UnknownId(const IdKind& kind, const std::string& id) {
  return UnknownIds(kind, {id});
}

// Filter::states, ::availability_zone and ::tags (not ::ids) against one resource.
bool MatchesFilter(const Filter& filter, const std::string& state, const std::string& az,
                   const Tags& tags);

// A Describe over `records` (a map by id): with filter.ids, exactly those (each must be
// `visible`, else the kind's NotFound); otherwise the tag index narrows the candidates, or every
// record is scanned. `matches(rec)` checks the rest of the filter, `view(rec)` makes the output.
// Results are ordered by id, whatever the map's order.
template <typename Map, typename VisibleFn, typename MatchFn, typename ViewFn>
auto DescribeRecords(const Map& records, const TagIndex& index, const Filter& filter,
                     const IdKind& kind, VisibleFn visible, MatchFn matches, ViewFn view)
    -> Result<std::vector<decltype(view(std::declval<const typename Map::mapped_type&>()))>> {
  using Rec = typename Map::mapped_type;
  std::vector<std::pair<const std::string*, const Rec*>> hits;
  auto consider = [&](const std::string& id) {
    auto it = records.find(id);
    if (it != records.end() && visible(it->second) && matches(it->second)) {
      hits.emplace_back(&it->first, &it->second);
    }
  };
  if (!filter.ids.empty()) {
    std::set<std::string> ids(filter.ids.begin(), filter.ids.end());
    std::vector<std::string> missing;
    for (const std::string& id : ids) {
      auto it = records.find(id);
      if (it == records.end() || !visible(it->second)) missing.push_back(id);
    }
    if (!missing.empty()) return UnknownIds(kind, missing);
    for (const std::string& id : ids) consider(id);
  } else if (const TagIndex::IdSet* candidates = index.Candidates(filter.tags)) {
    for (const std::string* id : *candidates) consider(*id);
  } else {
    for (const auto& [id, rec] : records) {
      if (visible(rec) && matches(rec)) hits.emplace_back(&id, &rec);
    }
  }
  std::sort(hits.begin(), hits.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  std::vector<decltype(view(std::declval<const Rec&>()))> out;
  out.reserve(hits.size());
  for (const auto& hit : hits) out.push_back(view(*hit.second));
  return out;
}

// Every record of `records` through `view`, ordered by id (for inspection).
template <typename Map, typename ViewFn>
auto AllById(const Map& records, ViewFn view)
    -> std::vector<decltype(view(std::declval<const typename Map::mapped_type&>()))> {
  std::vector<std::pair<const std::string*, const typename Map::mapped_type*>> all;
  all.reserve(records.size());
  for (const auto& [id, rec] : records) all.emplace_back(&id, &rec);
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  std::vector<decltype(view(std::declval<const typename Map::mapped_type&>()))> out;
  out.reserve(all.size());
  for (const auto& [id, rec] : all) out.push_back(view(*rec));
  return out;
}

// Tag rules EC2 enforces on CreateTags and TagSpecifications: at most 50 tags per resource,
// keys 1..128 characters not starting with "aws:", values up to 256 characters.
Status ValidateTags(const Tags& tags);

// The usual EC2 errors.
inline Status InvalidParameterValue(const std::string& message) {
  return Status(Code::kInvalidArgument, message, "InvalidParameterValue");
}
inline Status IncorrectState(const std::string& message) {
  return Status(Code::kFailedPrecondition, message, "IncorrectState");
}
inline Status IdempotentParameterMismatch() {
  return Status(Code::kInvalidArgument,
                "Arguments on this idempotent request are inconsistent with arguments used in "
                "previous request(s).",
                "IdempotentParameterMismatch");
}

// EBS volume types: gp2 gp3 io1 io2 st1 sc1 standard.
bool ValidVolumeType(const std::string& type);
// A block device name EC2 accepts: /dev/sd[a-z]... or /dev/xvd[a-z]...
bool ValidDeviceName(const std::string& device);

// Tags of a new resource: the request's tags plus {kTagToken: token} when a token was given.
Tags WithToken(Tags tags, const std::string& client_token);

}  // namespace spotkeeper::fake
