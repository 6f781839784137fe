#include "provider/fake/describe_util.h"

#include <cctype>

namespace spotkeeper::fake {

Status UnknownIds(const IdKind& kind, const std::vector<std::string>& ids) {
  std::string list;
  for (const std::string& id : ids) {
    if (id.rfind(kind.prefix, 0) != 0) {
      return Status(Code::kInvalidArgument, "Invalid id: \"" + id + "\"", kind.malformed_code);
    }
    list += (list.empty() ? "" : ", ") + id;
  }
  return Status(Code::kNotFound, "The " + std::string(kind.noun) + " '" + list + "' does not exist",
                kind.not_found_code);
}

bool MatchesFilter(const Filter& filter, const std::string& state, const std::string& az,
                   const Tags& tags) {
  if (!filter.states.empty() &&
      std::find(filter.states.begin(), filter.states.end(), state) == filter.states.end()) {
    return false;
  }
  if (!filter.availability_zone.empty() && filter.availability_zone != az) return false;
  return TagsMatch(tags, filter.tags);
}

Status ValidateTags(const Tags& tags) {
  if (tags.size() > 50) {
    return Status(Code::kInvalidArgument, "The maximum number of tags per resource is 50",
                  "TagLimitExceeded");
  }
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128) {
      return Status(Code::kInvalidArgument, "Tag key must be 1 to 128 characters: '" + k + "'",
                    "InvalidParameterValue");
    }
    if (k.rfind("aws:", 0) == 0) {
      return Status(Code::kInvalidArgument,
                    "Tag keys starting with 'aws:' are reserved for internal use",
                    "InvalidParameterValue");
    }
    if (v.size() > 256) {
      return Status(Code::kInvalidArgument, "Tag value of '" + k + "' exceeds 256 characters",
                    "InvalidParameterValue");
    }
  }
  return OkStatus();
}

bool ValidVolumeType(const std::string& type) {
  for (const char* v : {"gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"}) {
    if (type == v) return true;
  }
  return false;
}

bool ValidDeviceName(const std::string& device) {
  for (const std::string prefix : {"/dev/sd", "/dev/xvd"}) {
    if (device.rfind(prefix, 0) == 0 && device.size() > prefix.size() &&
        device.size() <= prefix.size() + 3 &&
        std::islower(static_cast<unsigned char>(device[prefix.size()]))) {
      return true;
    }
  }
  return false;
}

Tags WithToken(Tags tags, const std::string& client_token) {
  if (!client_token.empty()) tags[kTagToken] = client_token;
  return tags;
}

}  // namespace spotkeeper::fake
