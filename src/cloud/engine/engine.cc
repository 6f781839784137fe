#include "cloud/engine/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cloud/engine/cidr.h"
#include "cloud/engine/ec2_error.h"

namespace spotkeeper::cloud {

int InstanceStateCode(const std::string& state) {
  if (state == "pending") return 0;
  if (state == "running") return 16;
  if (state == "shutting-down") return 32;
  if (state == "terminated") return 48;
  if (state == "stopping") return 64;
  if (state == "stopped") return 80;
  return 0;
}

Result<std::unique_ptr<Engine>> Engine::Create(CloudDb* db, HostDriver* driver,
                                               EventPublisher* events, EngineOptions options) {
  if (options.availability_zones.empty()) return InvalidArgument("cloud: no availability zones");
  auto cidr = Cidr::Parse(options.default_vpc_cidr);
  if (!cidr.ok()) return cidr.status().Annotate("cloud: default VPC CIDR");
  if (cidr->prefix_len > 20) {
    return InvalidArgument("cloud: the default VPC CIDR must be /20 or larger (a /24 per zone)");
  }
  if (options.worker_threads < 0) return InvalidArgument("cloud: worker_threads < 0");
  SK_RETURN_IF_ERROR(ValidateMarketOptions(options.market));
  return std::unique_ptr<Engine>(new Engine(db, driver, events, std::move(options)));
}

Engine::Engine(CloudDb* db, HostDriver* driver, EventPublisher* events, EngineOptions options)
    : db_(db),
      driver_(driver),
      events_(events),
      options_(std::move(options)),
      catalog_(InstanceCatalog::Default()),
      random_(options_.seed != 0 ? Random(options_.seed) : Random::FromEntropy()) {}

Engine::~Engine() { Shutdown(); }

// --- persistence

namespace {
template <typename T>
Status Put(CloudDb* db, const char* kind, const T& r) {
  nlohmann::json j = r;
  // Requests are checked for UTF-8 (QueryDecoder); replace, never throw, should one slip by.
  return db->PutResource(kind, r.id,
                         j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}
}  // namespace

Status Engine::Save(const VpcRecord& r) {
  vpcs_[r.id] = r;
  return Put(db_, "vpc", r);
}
Status Engine::Save(const SubnetRecord& r) {
  subnets_[r.id] = r;
  return Put(db_, "subnet", r);
}
Status Engine::Save(const InstanceRecord& r) {
  instances_[r.id] = r;
  return Put(db_, "instance", r);
}
Status Engine::Save(const VolumeRecord& r) {
  volumes_[r.id] = r;
  return Put(db_, "volume", r);
}
Status Engine::Save(const EniRecord& r) {
  enis_[r.id] = r;
  return Put(db_, "eni", r);
}
Status Engine::Save(const ImageRecord& r) {
  images_[r.id] = r;
  return Put(db_, "image", r);
}
Status Engine::Save(const SnapshotRecord& r) {
  snapshots_[r.id] = r;
  return Put(db_, "snapshot", r);
}
Status Engine::Save(const TokenRecord& r) {
  TokenRecord t = r;
  if (t.created_ms == 0) t.created_ms = ToMillis(options_.clock->Now());
  tokens_[t.id] = t;
  return Put(db_, "token", t);
}

Status Engine::Save(const SpotRequestRecord& r) {
  spot_requests_[r.id] = r;
  return Put(db_, "spot-request", r);
}
Status Engine::Save(const CostRecord& r) {
  costs_[r.id] = r;
  return Put(db_, "cost", r);
}

Status Engine::Erase(const std::string& id) {
  vpcs_.erase(id);
  subnets_.erase(id);
  instances_.erase(id);
  volumes_.erase(id);
  enis_.erase(id);
  images_.erase(id);
  snapshots_.erase(id);
  tokens_.erase(id);
  spot_requests_.erase(id);
  costs_.erase(id);
  return db_->DeleteResource(id);
}

Status Engine::LoadState() {
  Status parse_error;
  SK_RETURN_IF_ERROR(db_->LoadResources(
      [&](const std::string& kind, const std::string& id, const std::string& data) {
        nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
        if (j.is_discarded()) {
          parse_error = Internal("cloud state: resource " + id + " is not JSON");
          return;
        }
        try {
          if (kind == "vpc") vpcs_[id] = j.get<VpcRecord>();
          if (kind == "subnet") subnets_[id] = j.get<SubnetRecord>();
          if (kind == "instance") instances_[id] = j.get<InstanceRecord>();
          if (kind == "volume") volumes_[id] = j.get<VolumeRecord>();
          if (kind == "eni") enis_[id] = j.get<EniRecord>();
          if (kind == "image") images_[id] = j.get<ImageRecord>();
          if (kind == "snapshot") snapshots_[id] = j.get<SnapshotRecord>();
          if (kind == "token") {
            TokenRecord t = j.get<TokenRecord>();
            if (t.created_ms == 0) t.created_ms = ToMillis(options_.clock->Now());
            tokens_[id] = t;
          }
          if (kind == "spot-request") spot_requests_[id] = j.get<SpotRequestRecord>();
          if (kind == "cost") costs_[id] = j.get<CostRecord>();
          if (kind == "spot-pool") loaded_pools_.push_back(j.get<SpotPoolRecord>());
        } catch (const nlohmann::json::exception& e) {
          parse_error = Internal("cloud state: resource " + id + ": " + e.what());
        }
      }));
  return parse_error;
}

std::string Engine::NewId(const std::string& prefix) { return prefix + "-" + random_.Hex(17); }

std::string Engine::NewMac() {
  std::string h = random_.Hex(10);
  std::string mac = "02";
  // Appended piecewise: GCC 12 at -O3 flags `":" + h.substr(...)` (a -Wrestrict false positive).
  for (size_t i = 0; i < 10; i += 2) {
    mac += ':';
    mac.append(h, i, 2);
  }
  return mac;
}

Status Engine::Bootstrap() {
  CloudDb::Transaction tx(db_);
  if (images_.count(kBaseImageId) == 0) {
    ImageRecord img;
    img.id = kBaseImageId;
    img.name = kBaseImageName;
    img.description =
        "spotkeeper local cloud base image: a small root filesystem; the host's "
        "/usr is bound read-only into every instance";
    img.creation_ms = ToMillis(options_.clock->Now());
    SK_RETURN_IF_ERROR(Save(img));
  }
  bool have_default = false;
  for (const auto& [id, v] : vpcs_) have_default = have_default || v.is_default;
  if (!have_default) {
    VpcRecord vpc;
    vpc.id = NewId("vpc");
    vpc.cidr = options_.default_vpc_cidr;
    vpc.is_default = true;
    vpc.default_security_group = NewId("sg");
    SK_RETURN_IF_ERROR(Save(vpc));
    Cidr cidr = Cidr::Parse(vpc.cidr).value();
    for (size_t i = 0; i < options_.availability_zones.size(); ++i) {
      SubnetRecord s;
      s.id = NewId("subnet");
      s.vpc_id = vpc.id;
      s.az = options_.availability_zones[i];
      s.cidr = Cidr{cidr.network + static_cast<uint32_t>((i + 1) << 8), 24}.ToString();
      s.default_for_az = true;
      SK_RETURN_IF_ERROR(Save(s));
    }
  }
  return tx.Commit();
}

Status Engine::Start() {
  std::vector<VpcRecord> available;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return FailedPrecondition("cloud engine already started");
    SK_RETURN_IF_ERROR(LoadState());
    SK_RETURN_IF_ERROR(Bootstrap());
    SK_RETURN_IF_ERROR(InitMarketLocked());
  }
  // The base image's directory (building it again is a no-op).
  SK_ASSIGN_OR_RETURN(std::string rootfs, driver_->EnsureBaseImage(kBaseImageId));
  HostInventory inventory;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CloudDb::Transaction tx(db_);
    ImageRecord img = images_.at(kBaseImageId);
    if (img.rootfs != rootfs) {
      img.rootfs = rootfs;
      SK_RETURN_IF_ERROR(Save(img));
    }
    SK_RETURN_IF_ERROR(tx.Commit());
  }
  inventory = Inventory();
  SK_RETURN_IF_ERROR(driver_->Recover(inventory).Annotate("recover the host"));
  {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = true;
    EnqueueUnfinishedLocked();
    for (const auto& [id, v] : vpcs_) {
      if (v.state == "available") available.push_back(v);
    }
  }
  for (const VpcRecord& v : available) NotifyVpcAvailable(v);
  for (int i = 0; i < options_.worker_threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  if (options_.watch_interval.count() > 0) {
    driver_->SetExitListener([this](const std::string& instance_id) {
      {
        std::lock_guard<std::mutex> lock(watch_mu_);
        exited_.insert(instance_id);
      }
      watch_cv_.notify_all();
    });
    watch_ = std::thread([this] { WatchLoop(); });
  }
  if (options_.worker_threads > 0) market_thread_ = std::thread([this] { MarketLoop(); });
  return OkStatus();
}

void Engine::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(qmu_);
    stopping_ = true;
  }
  qcv_.notify_all();
  if (watch_.joinable()) driver_->SetExitListener(nullptr);  // set by Start with the thread
  { std::lock_guard<std::mutex> lock(watch_mu_); }
  watch_cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  if (watch_.joinable()) watch_.join();
  {
    std::lock_guard<std::mutex> lock(market_mu_);
    market_stopping_ = true;
  }
  market_cv_.notify_all();
  if (market_thread_.joinable()) market_thread_.join();
}

HostInventory Engine::Inventory() {
  std::lock_guard<std::mutex> lock(mu_);
  HostInventory inv;
  for (const auto& [id, v] : vpcs_) {
    if (v.host_created) inv.vpcs.push_back(VpcFor(v));
  }
  for (const auto& [id, v] : volumes_) {
    if (v.host_created && v.state != "deleting") {
      inv.volumes.push_back(id);
    } else {
      inv.other_volumes.push_back(id);
    }
  }
  for (const auto& [id, e] : enis_) {
    if (e.host_created && e.status != "deleting") inv.nics.push_back(NicFor(e));
  }
  // Every recorded snapshot (a pending one may have been captured before the crash recorded
  // it; a deleting one is deleted by its worker).
  for (const auto& [id, snap] : snapshots_) inv.snapshots.push_back(id);
  for (const auto& [id, r] : instances_) {
    if (!r.host_started || r.state != "running") continue;
    inv.running_instances.push_back(id);
    for (const auto& [vid, v] : volumes_) {
      if (v.attachment && v.attachment->instance_id == id && vid != r.root_volume_id &&
          (v.attachment->status == "attached" || v.attachment->status == "detaching")) {
        inv.attachments.emplace_back(id, VolumeMount{vid, v.attachment->device});
      }
    }
  }
  return inv;
}

VpcNetwork Engine::VpcFor(const VpcRecord& vpc) const {
  Cidr c = Cidr::Parse(vpc.cidr).value();
  return VpcNetwork{vpc.id, vpc.cidr, c.Host(1)};
}

NicConfig Engine::NicFor(const EniRecord& eni) const {
  NicConfig n;
  n.eni_id = eni.id;
  n.vpc_id = eni.vpc_id;
  n.mac = eni.mac;
  n.ip = eni.private_ip;
  auto s = subnets_.find(eni.subnet_id);
  if (s != subnets_.end()) {
    Cidr c = Cidr::Parse(s->second.cidr).value();
    n.prefix_len = c.prefix_len;
    n.gateway = c.Host(1);
  }
  return n;
}

void Engine::SetVpcAvailableListener(std::function<void(const VpcRecord&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  vpc_listener_ = std::move(fn);
}

void Engine::NotifyVpcAvailable(const VpcRecord& vpc) {
  std::function<void(const VpcRecord&)> fn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn = vpc_listener_;
  }
  if (fn) fn(vpc);
}

std::vector<VpcRecord> Engine::AvailableVpcs() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<VpcRecord> out;
  for (const auto& [id, v] : vpcs_) {
    if (v.state == "available") out.push_back(v);
  }
  return out;
}

std::optional<InstanceView> Engine::FindInstanceByIp(const std::string& vpc_id,
                                                     const std::string& ip) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, r] : instances_) {
    if (r.vpc_id == vpc_id && r.private_ip == ip && r.state != "terminated") return ViewLocked(r);
  }
  return std::nullopt;
}

std::optional<InstanceView> Engine::FindInstance(const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return std::nullopt;
  return ViewLocked(it->second);
}

InstanceView Engine::ViewLocked(const InstanceRecord& r) const {
  InstanceView v;
  v.instance = r;
  auto root = volumes_.find(r.root_volume_id);
  if (root != volumes_.end() && root->second.attachment &&
      root->second.attachment->instance_id == r.id) {
    v.volumes.push_back(root->second);
  }
  for (const auto& [id, vol] : volumes_) {
    if (id != r.root_volume_id && vol.attachment && vol.attachment->instance_id == r.id) {
      v.volumes.push_back(vol);
    }
  }
  auto eni = enis_.find(r.primary_eni_id);
  if (eni != enis_.end() && eni->second.attachment && eni->second.attachment->instance_id == r.id) {
    v.eni = eni->second;
  }
  return v;
}

Status Engine::SetState(InstanceRecord& r, const std::string& state) {
  if (r.state == state) return OkStatus();
  std::string from = r.state;
  r.state = state;
  SK_RETURN_IF_ERROR(OnStateChangeLocked(r, from));
  if (events_ == nullptr) return OkStatus();
  return events_->InstanceStateChange(r.id, state, options_.clock->Now());
}

// --- work queue

void Engine::Enqueue(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(qmu_);
    if (running_.count(key) > 0) {
      dirty_.insert(key);
      return;
    }
    if (!queued_.insert(key).second) return;
    queue_.push_back(key);
  }
  qcv_.notify_one();
}

void Engine::EnqueueUnfinishedLocked() {
  for (const auto& [id, v] : vpcs_) {
    if (!v.host_created) Enqueue(id);
  }
  for (const auto& [id, e] : enis_) {
    if (!e.host_created || e.status == "deleting" || e.status == "pending") Enqueue(id);
  }
  for (const auto& [id, v] : volumes_) {
    if (v.state == "creating" || v.state == "deleting") Enqueue(id);
    if (v.attachment &&
        (v.attachment->status == "attaching" || v.attachment->status == "detaching")) {
      Enqueue(v.attachment->instance_id);
    }
  }
  for (const auto& [id, r] : instances_) {
    if (r.state == "pending" || r.state == "stopping" || r.state == "shutting-down") Enqueue(id);
  }
  for (const auto& [id, snap] : snapshots_) {
    if (snap.state == "pending" || snap.state == "deleting") Enqueue(id);
  }
  for (const auto& [id, img] : images_) {
    if (img.state == "pending") Enqueue(id);
  }
}

bool Engine::RunOne(bool block) {
  std::string key;
  {
    std::unique_lock<std::mutex> lock(qmu_);
    if (block) qcv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() || (block && stopping_)) return false;
    key = queue_.front();
    queue_.pop_front();
    queued_.erase(key);
    running_.insert(key);
  }
  Reconcile(key);
  {
    std::lock_guard<std::mutex> lock(qmu_);
    running_.erase(key);
    if (dirty_.erase(key) > 0 && queued_.insert(key).second) queue_.push_back(key);
  }
  qcv_.notify_all();
  return true;
}

void Engine::WorkerLoop() {
  while (RunOne(/*block=*/true)) {
  }
}

int Engine::RunQueuedWork() {
  int n = 0;
  // Bounded: every step moves a resource towards a stable state; 100000 is far beyond any test.
  while (n < 100000 && RunOne(/*block=*/false)) ++n;
  return n;
}

bool Engine::WaitIdle(Duration deadline) {
  std::unique_lock<std::mutex> lock(qmu_);
  return qcv_.wait_for(lock, deadline, [&] { return queue_.empty() && running_.empty(); });
}

void Engine::WatchLoop() {
  auto next_pass = std::chrono::steady_clock::now() + options_.watch_interval;
  for (;;) {
    std::vector<std::string> exited;
    {
      std::unique_lock<std::mutex> lock(watch_mu_);
      watch_cv_.wait_until(lock, next_pass, [&] {
        std::lock_guard<std::mutex> q(qmu_);
        return stopping_ || !exited_.empty();
      });
      exited.assign(exited_.begin(), exited_.end());
      exited_.clear();
    }
    {
      std::lock_guard<std::mutex> q(qmu_);
      if (stopping_) return;
    }
    if (!exited.empty()) CheckExited(exited);
    if (std::chrono::steady_clock::now() >= next_pass) {
      CheckInstancesOnce();
      next_pass = std::chrono::steady_clock::now() + options_.watch_interval;
    }
  }
}

void Engine::CheckInstancesOnce() {
  std::vector<std::string> running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, r] : instances_) {
      if (r.state == "running" && r.host_started) running.push_back(id);
    }
  }
  CheckExited(running);
  std::lock_guard<std::mutex> lock(mu_);
  int64_t cutoff = ToMillis(options_.clock->Now()) - options_.terminated_retention.count();
  std::vector<std::string> forget;
  for (const auto& [id, r] : instances_) {
    if (r.state == "terminated" && r.terminated_ms < cutoff) forget.push_back(id);
  }
  // Closed, cancelled or failed spot requests stay visible 4 hours, as on EC2; costs 31 days;
  // client tokens a day, and as long as anything they made exists (docs/retention.md).
  int64_t now_ms = ToMillis(options_.clock->Now());
  for (const auto& [id, s] : spot_requests_) {
    bool ended = s.state == "closed" || s.state == "cancelled" || s.state == "failed";
    auto inst = instances_.find(s.instance_id);
    bool instance_gone = inst == instances_.end() || inst->second.state == "terminated";
    if (ended && instance_gone &&
        s.status_update_ms < now_ms - options_.spot_request_retention.count()) {
      forget.push_back(id);
    }
  }
  for (const auto& [id, c] : costs_) {
    if (c.ended_ms > 0 && c.ended_ms < now_ms - options_.cost_retention.count()) {
      forget.push_back(id);
    }
  }
  for (const auto& [id, t] : tokens_) {
    if (t.created_ms >= now_ms - options_.client_token_retention.count()) continue;
    bool made_exists =
        std::any_of(t.resource_ids.begin(), t.resource_ids.end(), [&](const std::string& r) {
          return instances_.count(r) > 0 || volumes_.count(r) > 0 || enis_.count(r) > 0 ||
                 snapshots_.count(r) > 0;
        });
    if (!made_exists) forget.push_back(id);
  }
  if (!forget.empty()) {
    CloudDb::Transaction tx(db_);
    for (const std::string& id : forget) (void)Erase(id);
    (void)tx.Commit();
  }
  EnqueueUnfinishedLocked();
}

void Engine::CheckExited(const std::vector<std::string>& instance_ids) {
  for (const std::string& id : instance_ids) {
    {
      std::lock_guard<std::mutex> q(qmu_);
      if (running_.count(id) > 0 || queued_.count(id) > 0) continue;  // busy: next pass
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = instances_.find(id);
      if (it == instances_.end() || it->second.state != "running" || !it->second.host_started) {
        continue;
      }
    }
    auto state = driver_->GetInstanceState(id);
    if (!state.ok() || *state == RuntimeState::kRunning) continue;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = instances_.find(id);
    if (it == instances_.end() || it->second.state != "running") continue;
    InstanceRecord r = it->second;
    CloudDb::Transaction tx(db_);
    Status s = MarkShutDownFromInside(r);
    if (s.ok()) s = Save(r);
    if (s.ok()) s = tx.Commit();
    if (!s.ok()) {
      spdlog::warn("cloud: recording the shutdown of {}: {}", id, s.ToString());
      continue;
    }
    spdlog::info("cloud: {} shut down from inside; now {}", id, r.state);
    Enqueue(id);
  }
}

Status Engine::MarkShutDownFromInside(InstanceRecord& r) {
  r.state_reason_code = "Client.InstanceInitiatedShutdown";
  r.state_reason_message = "Client.InstanceInitiatedShutdown: Instance initiated shutdown";
  r.transition_reason = "Instance initiated shutdown (" + FormatTime(options_.clock->Now()) + ")";
  bool terminate = r.shutdown_behavior == "terminate";
  SK_RETURN_IF_ERROR(SpotUserActionLocked(r, terminate ? "terminate" : "stop"));
  return SetState(r, terminate ? "shutting-down" : "stopping");
}

bool Engine::NoteFailure(const std::string& key, const Status& s) {
  int n = ++failures_[key];
  spdlog::warn("cloud: {} (attempt {}): {}", key, n, s.ToString());
  if (n < options_.driver_attempts) return true;
  failures_.erase(key);
  return false;
}

void Engine::Reconcile(const std::string& key) {
  // Bounded: a resource has a handful of steps; 64 leaves room for many attachments.
  for (int step = 0; step < 64; ++step) {
    bool more = false;
    if (key.rfind("i-", 0) == 0) {
      more = StepInstance(key);
    } else if (key.rfind("vol-", 0) == 0) {
      more = StepVolume(key);
    } else if (key.rfind("eni-", 0) == 0) {
      more = StepEni(key);
    } else if (key.rfind("vpc-", 0) == 0) {
      more = StepVpc(key);
    } else if (key.rfind("snap-", 0) == 0) {
      more = StepSnapshot(key);
    } else if (key.rfind("ami-", 0) == 0) {
      more = StepImage(key);
    }
    if (!more) return;
  }
}

}  // namespace spotkeeper::cloud
