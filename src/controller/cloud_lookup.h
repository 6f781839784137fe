// Small helpers over CloudProvider that steps share: describe one resource by id (absent →
// nullopt instead of an error), and find what an earlier call with a client token created.
#pragma once

#include <optional>
#include <string>

#include "provider/cloud_provider.h"

namespace spotkeeper {

Result<std::optional<Instance>> DescribeInstance(CloudProvider& cloud, const std::string& id);
Result<std::optional<Volume>> DescribeVolume(CloudProvider& cloud, const std::string& id);
Result<std::optional<Snapshot>> DescribeSnapshot(CloudProvider& cloud, const std::string& id);
Result<std::optional<Image>> DescribeImage(CloudProvider& cloud, const std::string& id);
Result<std::optional<NetworkInterface>> DescribeEni(CloudProvider& cloud, const std::string& id);

// The resource tagged with kTagToken == token, if an earlier call made one.
Result<std::optional<Instance>> FindInstanceByToken(CloudProvider& cloud, const std::string& t);
Result<std::optional<Volume>> FindVolumeByToken(CloudProvider& cloud, const std::string& t);
Result<std::optional<Snapshot>> FindSnapshotByToken(CloudProvider& cloud, const std::string& t);
Result<std::optional<Image>> FindImageByToken(CloudProvider& cloud, const std::string& t);
Result<std::optional<NetworkInterface>> FindEniByToken(CloudProvider& cloud, const std::string& t);

// True for an instance that is gone or going: shutting-down or terminated.
bool IsGone(const Instance& i);

}  // namespace spotkeeper
