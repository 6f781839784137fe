// Ec2Provider: CloudProvider over the EC2 Query API (2016-11-15) and SQS, SigV4-signed, for AWS,
// moto_server and spotkeeper's local cloud alike.
//
//  - Every create passes the request's client token as ClientToken where EC2 has one
//    (RunInstances, CreateVolume, CreateNetworkInterface) and tags what it creates with the
//    request's tags plus {kTagToken: token} through TagSpecifications.
//  - Describe* follow NextToken to the end (MaxResults where EC2 allows it next to the filter)
//    and send ids in batches of 100.
//  - Errors carry EC2's code in cloud_code (aws_error.h maps it); throttling, 5xx and network
//    failures are retried with jittered backoff by the sender; client-side rate limiting is the
//    job of RateLimitedProvider, which wraps this.
//  - Events come from the SQS queue `events_queue_url` (EventBridge rule) or, without one, from
//    polling (polling_event_source.h).
// Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "awsproto/credentials.h"
#include "awsproto/http_message.h"
#include "provider/cloud_provider.h"
#include "provider/ec2/aws_request_sender.h"
#include "provider/ec2/ec2_provider_config.h"
#include "provider/ec2/ec2_query_client.h"
#include "provider/ec2/event_source.h"
#include "provider/ec2/sqs_client.h"

namespace spotkeeper {

// What Ec2Provider uses from its environment; each has a production default.
struct Ec2ProviderDeps {
  // Not owned; null: the provider owns a CurlHttpClient built from the config's timeouts.
  aws::HttpClient* http = nullptr;
  // Null: the default chain (env, shared files with config.profile, IMDSv2).
  std::unique_ptr<aws::CredentialsProvider> credentials;
  const Clock* clock = SystemClock::Default();
  uint64_t seed = 0;  // backoff jitter
  Sleeper sleep;      // null: really sleep
};

class Ec2Provider final : public CloudProvider {
 public:
  static Result<std::unique_ptr<Ec2Provider>> Create(Ec2ProviderConfig config,
                                                     Ec2ProviderDeps deps = {});
  ~Ec2Provider() override;

  const Ec2ProviderConfig& config() const { return config_; }
  AwsRequestSender::Stats sender_stats() const { return sender_->stats(); }
  // The SQS client (tests and tools use it to create queues and send messages).
  SqsClient* sqs() { return sqs_.get(); }

  std::string Name() const override { return "ec2"; }
  // The configured region, and the account of the events queue's URL.
  CloudScope Scope() const override { return {config_.QueueAccount(), config_.region}; }
  Result<Instance> RunInstance(const RunInstanceRequest& req) override;
  // InvalidInstanceID.NotFound is success: EC2 forgets terminated instances after about an hour,
  // and terminating one twice is idempotent.
  Status TerminateInstance(const std::string& instance_id) override;
  Result<std::vector<Instance>> DescribeInstances(const Filter& filter) override;
  Result<std::vector<InstanceStatus>> DescribeInstanceStatus(
      const std::vector<std::string>& instance_ids) override;
  Result<Volume> CreateVolume(const CreateVolumeRequest& req) override;
  Status AttachVolume(const std::string& volume_id, const std::string& instance_id,
                      const std::string& device) override;
  // DescribeVolumes first, to name the attachment (InstanceId, Device) in DetachVolume.
  Status DetachVolume(const std::string& volume_id, bool force) override;
  Status DeleteVolume(const std::string& volume_id) override;
  Result<std::vector<Volume>> DescribeVolumes(const Filter& filter) override;
  Result<Snapshot> CreateSnapshot(const CreateSnapshotRequest& req) override;
  Status DeleteSnapshot(const std::string& snapshot_id) override;
  Result<std::vector<Snapshot>> DescribeSnapshots(const Filter& filter) override;
  // RegisterImage/CreateImage answer only an id; the Image returned is built from the request
  // (state "pending") instead of a DescribeImages that EC2's eventual consistency may refuse.
  // RegisterImage also re-applies the tags with CreateTags (see docs/aws.md, moto).
  Result<Image> RegisterImage(const RegisterImageRequest& req) override;
  Result<Image> CreateImage(const CreateImageRequest& req) override;
  Status DeregisterImage(const std::string& image_id) override;
  Result<std::vector<Image>> DescribeImages(const Filter& filter) override;
  Result<NetworkInterface> CreateNetworkInterface(
      const CreateNetworkInterfaceRequest& req) override;
  Status DeleteNetworkInterface(const std::string& eni_id) override;
  Result<std::vector<NetworkInterface>> DescribeNetworkInterfaces(const Filter& filter) override;
  // Looks up the ENI's attachment id, then ModifyNetworkInterfaceAttribute
  // (Attachment.AttachmentId, Attachment.DeleteOnTermination). An unattached ENI is
  // FailedPrecondition (cloud_code "IncorrectState").
  Status SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                bool delete_on_termination) override;
  Status CreateTags(const std::vector<std::string>& resource_ids, const Tags& tags) override;
  Status DeleteTags(const std::vector<std::string>& resource_ids,
                    const std::vector<std::string>& keys) override;
  Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(
      const Filter& filter) override;
  // The current Linux/UNIX price per (type, AZ): history from now, newest entry per pair.
  Result<std::vector<SpotPrice>> DescribeSpotPriceHistory(
      const std::vector<std::string>& instance_types,
      const std::vector<std::string>& availability_zones) override;
  Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones() override;
  Result<std::vector<Subnet>> DescribeSubnets(const std::vector<std::string>& ids) override;
  Result<std::vector<CloudEvent>> ReceiveEvents(int max) override;
  Status AckEvents(const std::vector<std::string>& receipts) override;
  // No custom endpoint (AWS): a direct TCP connect to `ip` (the controller runs in the VPC).
  // A custom endpoint: the local cloud probes from inside the VPC (POST /_spotkeeper/v1/probe,
  // signed for the service "spotkeeper"); an endpoint without that route (moto_server) answers
  // Unimplemented. See ec2_probe.cc.
  Status ProbeServing(const std::string& instance_id, const std::string& ip,
                      const ServingProbe& probe, Duration timeout) override;

 private:
  Ec2Provider(Ec2ProviderConfig config, Ec2ProviderDeps deps);

  // Calls `params` page by page: MaxResults `max_results` (0: none), NextToken until empty; ids
  // lists under `id_key` are sent in batches of 100. `consume` reads each page's root.
  Status Paginate(aws::QueryParams params, const std::string& id_key, int max_results,
                  const std::function<void(pugi::xml_node root)>& consume);
  Result<std::shared_ptr<pugi::xml_document>> Call(const aws::QueryParams& params,
                                                   bool idempotent = true);

  Ec2ProviderConfig config_;
  const Clock* clock_;
  std::unique_ptr<aws::HttpClient> owned_http_;
  std::unique_ptr<aws::CredentialsProvider> credentials_;
  std::unique_ptr<AwsRequestSender> sender_;
  std::unique_ptr<Ec2QueryClient> ec2_;
  std::unique_ptr<SqsClient> sqs_;
  std::unique_ptr<EventSource> events_;
};

}  // namespace spotkeeper
