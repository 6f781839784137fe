#pragma once

// Reading etcd v3's JSON gateway (the proto3 JSON mapping), shared by the client and the watch.
// Private to sk_store_etcd.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace spotkeeper::etcd_json {

// An int64 field: proto3's JSON form writes int64 as a decimal string and leaves out fields at
// their default (0). A number is read as is; a string that is not a whole decimal int64 is 0
// (etcd never writes one; a damaged reply must not throw).
int64_t Int64Field(const nlohmann::json& j, const char* name);

// A bytes field (keys and values): base64 in the JSON form; absent means empty.
Result<std::string> BytesField(const nlohmann::json& j, const char* name);

}  // namespace spotkeeper::etcd_json
