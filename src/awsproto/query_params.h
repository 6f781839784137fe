// Builds EC2 Query protocol parameters: flattened lists and structures, as the "ec2" protocol
// serializes them ("Filter.1.Name", "Filter.1.Value.1", "BlockDeviceMapping.1.Ebs.VolumeSize",
// "TagSpecification.1.Tag.1.Key", "InstanceMarketOptions.MarketType"), and form-encodes them.
//
//   QueryParams p("RunInstances", "2016-11-15");
//   p.Set("ImageId", "ami-1");
//   QueryParams::Scope bdm = p.At("BlockDeviceMapping", 1);
//   bdm.Set("DeviceName", "/dev/sdf");
//   bdm.At("Ebs").Set("VolumeSize", 10);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spotkeeper::aws {

class QueryParams {
 public:
  // A view that prefixes every key with "<prefix>." (nested structures and list members).
  class Scope {
   public:
    Scope& Set(const std::string& key, const std::string& value);
    Scope& Set(const std::string& key, const char* value) { return Set(key, std::string(value)); }
    Scope& Set(const std::string& key, int64_t value);
    Scope& Set(const std::string& key, int value) { return Set(key, static_cast<int64_t>(value)); }
    Scope& Set(const std::string& key, bool value);
    // key.1 .. key.N
    Scope& SetList(const std::string& key, const std::vector<std::string>& values);
    // "<prefix>.key" (a structure member).
    Scope At(const std::string& key) const;
    // "<prefix>.key.<index>" (a member of a flattened list; index from 1).
    Scope At(const std::string& key, int index) const;
    const std::string& prefix() const { return prefix_; }

   private:
    friend class QueryParams;
    Scope(QueryParams* params, std::string prefix) : params_(params), prefix_(std::move(prefix)) {}
    std::string Key(const std::string& key) const;
    QueryParams* params_;
    std::string prefix_;
  };

  QueryParams() = default;
  // Sets Action and Version.
  QueryParams(const std::string& action, const std::string& version);

  QueryParams& Set(const std::string& key, const std::string& value);
  QueryParams& Set(const std::string& key, const char* value) {
    return Set(key, std::string(value));
  }
  QueryParams& Set(const std::string& key, int64_t value);
  QueryParams& Set(const std::string& key, int value) {
    return Set(key, static_cast<int64_t>(value));
  }
  QueryParams& Set(const std::string& key, bool value);
  QueryParams& SetList(const std::string& key, const std::vector<std::string>& values);
  Scope At(const std::string& key);
  Scope At(const std::string& key, int index);
  void Erase(const std::string& key) { params_.erase(key); }

  bool Has(const std::string& key) const { return params_.count(key) > 0; }
  // "" when absent.
  std::string Get(const std::string& key) const;
  const std::map<std::string, std::string>& params() const { return params_; }

  // application/x-www-form-urlencoded body, keys sorted, RFC 3986 percent-encoding.
  std::string Encode() const;

 private:
  std::map<std::string, std::string> params_;
};

}  // namespace spotkeeper::aws
