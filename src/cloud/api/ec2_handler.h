// Ec2Handler: the EC2 Query protocol over the Engine. Decodes an action's parameters
// (awsproto's QueryDecoder), calls the engine and renders EC2's XML response
// (<ActionResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId/>...) or EC2's
// error body (<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>) with the
// HTTP status awsproto's Ec2ErrorForStatus gives.
//
// Actions: RunInstances, TerminateInstances, StopInstances, StartInstances, DescribeInstances,
// DescribeInstanceStatus, GetConsoleOutput, CreateVolume, AttachVolume, DetachVolume,
// DeleteVolume, DescribeVolumes, CreateNetworkInterface, DeleteNetworkInterface,
// DescribeNetworkInterfaces, ModifyNetworkInterfaceAttribute, CreateSnapshot, CopySnapshot,
// DeleteSnapshot, DescribeSnapshots, CreateImage, RegisterImage, DeregisterImage,
// DescribeImages, CreateTags,
// DeleteTags, DescribeTags, DescribeAvailabilityZones, DescribeRegions, DescribeSubnets,
// DescribeVpcs, CreateVpc, CreateSubnet, DescribeInstanceTypes; the spot market's
// DescribeSpotInstanceRequests, CancelSpotInstanceRequests and DescribeSpotPriceHistory
// (ec2_handler_spot.cc). Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "awsproto/ec2_xml_writer.h"
#include "awsproto/query_decoder.h"
#include "cloud/api/api_reply.h"
#include "cloud/api/ec2_render.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {

class Ec2Handler {
 public:
  Ec2Handler(Engine* engine, RenderContext ctx);

  bool Handles(const std::string& action) const { return actions_.count(action) > 0; }
  ApiReply Handle(const aws::QueryDecoder& params, const std::string& request_id);
  // EC2's error reply for `status`.
  static ApiReply ErrorReply(const Status& status, const std::string& request_id);

 private:
  using Action = std::function<Status(const aws::QueryDecoder&, pugi::xml_node root)>;
  void Register();
  void RegisterSpot();  // ec2_handler_spot.cc

  Engine* engine_;
  RenderContext ctx_;
  std::map<std::string, Action> actions_;
};

}  // namespace spotkeeper::cloud
