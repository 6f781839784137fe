#include "provider/ec2/ec2_provider.h"

#include <spdlog/spdlog.h>

#include <map>

#include "awsproto/credentials_chain.h"
#include "awsproto/ec2_xml.h"
#include "provider/ec2/curl_http_client.h"
#include "provider/ec2/ec2_parsers.h"
#include "provider/ec2/ec2_requests.h"
#include "provider/ec2/polling_event_source.h"
#include "provider/ec2/sqs_event_source.h"

namespace spotkeeper {

using aws::QueryParams;
using aws::XmlChild;
using aws::XmlItems;
using aws::XmlText;

namespace {

constexpr size_t kIdBatch = 100;
constexpr int kMaxPages = 10'000;

QueryParams Action(const char* action) { return QueryParams(action, aws::kEc2ApiVersion); }

}  // namespace

Result<std::unique_ptr<Ec2Provider>> Ec2Provider::Create(Ec2ProviderConfig config,
                                                         Ec2ProviderDeps deps) {
  for (const std::string& url : {config.Ec2Endpoint(), config.SqsEndpoint()}) {
    if (auto u = aws::ParseUrl(url); !u.ok()) return u.status().Annotate("ec2 provider endpoint");
  }
  return std::unique_ptr<Ec2Provider>(new Ec2Provider(std::move(config), std::move(deps)));
}

Ec2Provider::Ec2Provider(Ec2ProviderConfig config, Ec2ProviderDeps deps)
    : config_(std::move(config)), clock_(deps.clock) {
  aws::HttpClient* http = deps.http;
  if (http == nullptr) {
    CurlHttpClientOptions o;
    o.connect_timeout = config_.connect_timeout;
    o.request_timeout = config_.request_timeout;
    owned_http_ = std::make_unique<CurlHttpClient>(o);
    http = owned_http_.get();
  }
  credentials_ = std::move(deps.credentials);
  if (!credentials_) {
    aws::DefaultChainOptions o;
    o.profile = config_.profile;
    o.http = http;
    o.clock = clock_;
    credentials_ = aws::MakeDefaultCredentialsChain(std::move(o));
  }
  RetryPolicy retry;
  retry.max_attempts = config_.max_attempts;
  sender_ = std::make_unique<AwsRequestSender>(http, credentials_.get(), clock_, deps.seed, retry,
                                               std::move(deps.sleep));
  ec2_ = std::make_unique<Ec2QueryClient>(sender_.get(), config_.Ec2Endpoint(), config_.region);
  sqs_ = std::make_unique<SqsClient>(sender_.get(), config_.SqsEndpoint(), config_.region);
  if (!config_.events_queue_url.empty()) {
    events_ = std::make_unique<SqsEventSource>(
        sqs_.get(), config_.events_queue_url, config_.events_wait_seconds, config_.request_timeout);
  } else {
    PollingEventSourceOptions o;
    o.poll_interval = config_.poll_interval;
    events_ = std::make_unique<PollingEventSource>(this, clock_, o);
  }
}

Ec2Provider::~Ec2Provider() = default;

Result<std::shared_ptr<pugi::xml_document>> Ec2Provider::Call(const QueryParams& params,
                                                              bool idempotent) {
  return ec2_->Call(params, idempotent);
}

Status Ec2Provider::Paginate(QueryParams params, const std::string& id_key, int max_results,
                             const std::function<void(pugi::xml_node root)>& consume) {
  std::vector<std::string> ids;
  for (int i = 1; params.Has(id_key + "." + std::to_string(i)); ++i) {
    ids.push_back(params.Get(id_key + "." + std::to_string(i)));
  }
  for (size_t i = 1; i <= ids.size(); ++i) params.Erase(id_key + "." + std::to_string(i));
  size_t batches = ids.empty() ? 1 : (ids.size() + kIdBatch - 1) / kIdBatch;
  for (size_t b = 0; b < batches; ++b) {
    QueryParams page = params;
    if (!ids.empty()) {
      std::vector<std::string> batch(
          ids.begin() + static_cast<std::ptrdiff_t>(b * kIdBatch),
          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), (b + 1) * kIdBatch)));
      page.SetList(id_key, batch);
    } else if (max_results > 0) {
      // EC2 refuses MaxResults next to explicit ids for most Describe calls.
      page.Set("MaxResults",
               config_.page_size > 0 ? std::min(config_.page_size, max_results) : max_results);
    }
    std::string token;
    for (int n = 0;; ++n) {
      if (n >= kMaxPages) {
        return Internal("ec2 " + params.Get("Action") + ": more than " + std::to_string(kMaxPages) +
                        " pages");
      }
      if (!token.empty()) page.Set("NextToken", token);
      SK_ASSIGN_OR_RETURN(auto doc, Call(page));
      pugi::xml_node root = doc->document_element();
      consume(root);
      std::string next = XmlText(root, "nextToken");
      if (next.empty()) break;
      if (next == token) {
        return Internal("ec2 " + params.Get("Action") + ": the service repeated NextToken");
      }
      token = next;
    }
  }
  return OkStatus();
}

// --- instances ---

Result<Instance> Ec2Provider::RunInstance(const RunInstanceRequest& req) {
  // Idempotent through ClientToken; without one a retry after a lost reply could launch twice.
  SK_ASSIGN_OR_RETURN(auto doc, Call(RunInstancesParams(req), !req.client_token.empty()));
  std::vector<Instance> instances = ParseReservations(doc->document_element());
  if (instances.empty()) return Internal("ec2 RunInstances: the reply lists no instance");
  return instances.front();
}

Status Ec2Provider::TerminateInstance(const std::string& instance_id) {
  QueryParams p = Action("TerminateInstances");
  p.Set("InstanceId.1", instance_id);
  auto doc = Call(p);
  if (!doc.ok() && doc.status().cloud_code() == "InvalidInstanceID.NotFound") {
    spdlog::info("ec2 TerminateInstances: {} is unknown to EC2; treating it as terminated",
                 instance_id);
    return OkStatus();
  }
  return doc.status();
}

Result<std::vector<Instance>> Ec2Provider::DescribeInstances(const Filter& filter) {
  QueryParams p = Action("DescribeInstances");
  AddDescribeFilter(p, Ec2Resource::kInstance, filter);
  std::vector<Instance> out;
  SK_RETURN_IF_ERROR(Paginate(p, "InstanceId", 1000, [&](pugi::xml_node root) {
    for (Instance& i : ParseReservations(root)) out.push_back(std::move(i));
  }));
  return out;
}

Result<std::vector<InstanceStatus>> Ec2Provider::DescribeInstanceStatus(
    const std::vector<std::string>& instance_ids) {
  QueryParams p = Action("DescribeInstanceStatus");
  p.Set("IncludeAllInstances", true);
  p.SetList("InstanceId", instance_ids);
  std::vector<InstanceStatus> out;
  SK_RETURN_IF_ERROR(Paginate(p, "InstanceId", 1000, [&](pugi::xml_node root) {
    for (pugi::xml_node item : XmlItems(root, "instanceStatusSet")) {
      out.push_back(ParseInstanceStatus(item));
    }
  }));
  return out;
}

// --- volumes ---

Result<Volume> Ec2Provider::CreateVolume(const CreateVolumeRequest& req) {
  SK_ASSIGN_OR_RETURN(auto doc, Call(CreateVolumeParams(req), !req.client_token.empty()));
  return ParseVolume(doc->document_element());
}

Status Ec2Provider::AttachVolume(const std::string& volume_id, const std::string& instance_id,
                                 const std::string& device) {
  QueryParams p = Action("AttachVolume");
  p.Set("VolumeId", volume_id).Set("InstanceId", instance_id).Set("Device", device);
  // A repeated attach fails with VolumeInUse/IncorrectState rather than doing harm.
  return Call(p).status();
}

Status Ec2Provider::DetachVolume(const std::string& volume_id, bool force) {
  // EC2 needs only VolumeId; naming the attachment too (InstanceId, Device) is equally valid and
  // is what emulators such as moto require.
  Filter f;
  f.ids = {volume_id};
  SK_ASSIGN_OR_RETURN(std::vector<Volume> volumes, DescribeVolumes(f));
  QueryParams p = Action("DetachVolume");
  p.Set("VolumeId", volume_id);
  if (!volumes.empty() && volumes.front().attachments.size() == 1) {
    p.Set("InstanceId", volumes.front().attachments.front().instance_id);
    p.Set("Device", volumes.front().attachments.front().device);
  }
  if (force) p.Set("Force", true);
  return Call(p).status();
}

Status Ec2Provider::DeleteVolume(const std::string& volume_id) {
  QueryParams p = Action("DeleteVolume");
  p.Set("VolumeId", volume_id);
  return Call(p).status();
}

Result<std::vector<Volume>> Ec2Provider::DescribeVolumes(const Filter& filter) {
  QueryParams p = Action("DescribeVolumes");
  AddDescribeFilter(p, Ec2Resource::kVolume, filter);
  std::vector<Volume> out;
  SK_RETURN_IF_ERROR(Paginate(p, "VolumeId", 500, [&](pugi::xml_node root) {
    for (pugi::xml_node item : XmlItems(root, "volumeSet")) out.push_back(ParseVolume(item));
  }));
  return out;
}

// --- snapshots ---

Result<Snapshot> Ec2Provider::CreateSnapshot(const CreateSnapshotRequest& req) {
  // No ClientToken in CreateSnapshot: not retried after an ambiguous failure; the token tag
  // lets the caller find a snapshot an unanswered call made.
  SK_ASSIGN_OR_RETURN(auto doc, Call(CreateSnapshotParams(req), /*idempotent=*/false));
  return ParseSnapshot(doc->document_element());
}

Status Ec2Provider::DeleteSnapshot(const std::string& snapshot_id) {
  QueryParams p = Action("DeleteSnapshot");
  p.Set("SnapshotId", snapshot_id);
  return Call(p).status();
}

Result<std::vector<Snapshot>> Ec2Provider::DescribeSnapshots(const Filter& filter) {
  QueryParams p = Action("DescribeSnapshots");
  AddDescribeFilter(p, Ec2Resource::kSnapshot, filter);
  std::vector<Snapshot> out;
  SK_RETURN_IF_ERROR(Paginate(p, "SnapshotId", 1000, [&](pugi::xml_node root) {
    for (pugi::xml_node item : XmlItems(root, "snapshotSet")) out.push_back(ParseSnapshot(item));
  }));
  return out;
}

}  // namespace spotkeeper
