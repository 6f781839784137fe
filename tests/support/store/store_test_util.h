// Helpers for the store's tests: scratch directories, records with every field set, and
// field-by-field comparisons.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>

#include "store/store.h"

namespace spotkeeper::store_testing {

// A fresh directory under the test's temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = testing::TempDir() + "/sk_store_XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `body` in a transaction of `store` and commits it.
inline Status WriteTxn(Store& store, const std::function<Status(Transaction&)>& body) {
  Result<std::unique_ptr<Transaction>> txn = store.Begin();
  if (!txn.ok()) return txn.status();
  SK_RETURN_IF_ERROR(body(**txn));
  return (*txn)->Commit();
}

// `seconds` after 2026-01-01T00:00:00Z.
inline Time At(int64_t seconds) { return FromMillis(1'767'225'600'000 + seconds * 1000); }

inline EventQuery Query(const std::string& group_id, const std::string& ssi_id = "",
                        Time since = kEpoch, int64_t after_seq = 0, int limit = 1000) {
  EventQuery q;
  q.group_id = group_id;
  q.ssi_id = ssi_id;
  q.since = since;
  q.after_seq = after_seq;
  q.limit = limit;
  return q;
}

inline GroupRecord FullGroup(const std::string& id, const std::string& name) {
  GroupRecord g;
  g.id = id;
  g.name = name;
  g.spec_json = R"({"capacity":{"target":3},"name":")" + name + R"("})";
  g.generation = 42;  // ignored by the store
  g.status = "ACTIVE";
  g.deallocation_json = R"({"volumes":true})";
  g.status_json = R"({"last_snapshot":"2026-01-01T00:00:00Z"})";
  g.created_at = At(1);
  g.updated_at = At(2);
  return g;
}

inline SsiRecord FullSsi(const std::string& id, const std::string& group_id) {
  SsiRecord s;
  s.id = id;
  s.group_id = group_id;
  s.state = SsiState::kPausing;
  s.desired = "paused";
  s.pause_reason = "operator";
  s.availability_zone = "us-east-1b";
  s.subnet_id = "subnet-1";
  s.private_ip = "10.0.1.7";
  s.eni_id = "eni-" + id;
  s.instance_id = "i-" + id;
  s.instance_type = "m5.large";
  s.market = "spot";
  s.image_id = "ami-7";
  s.conditions = {
      {"Ready", "False", "Pausing", "pause requested by operator", 3, At(10)},
      {"Interrupted", "True", "SpotInterruption", "notice \"2 min\"\n\xc3\xa9", 2, At(-5)},
  };
  s.status_json = R"({"recoveries":2})";
  s.observed_generation = 3;
  s.created_at = At(3);
  s.launched_at = At(4);
  s.updated_at = At(5);
  return s;
}

inline ResourceRecord FullResource(const std::string& id, const std::string& ssi_id,
                                   const std::string& group_id) {
  ResourceRecord r;
  r.id = id;
  r.ssi_id = ssi_id;
  r.group_id = group_id;
  r.kind = "volume";
  r.role = "data";
  r.device_name = "/dev/sdf";
  r.availability_zone = "us-east-1b";
  r.source_id = "snap-1";
  r.status = "current";
  r.cloud_state = "in-use";
  r.created_at = At(6);
  r.updated_at = At(7);
  return r;
}

inline WorkflowRecord FullWorkflow(const std::string& id, const std::string& ssi_id,
                                   const std::string& group_id) {
  WorkflowRecord w;
  w.id = id;
  w.ssi_id = ssi_id;
  w.group_id = group_id;
  w.kind = "recycle";
  w.status = "running";
  w.step = 4;
  w.step_name = "attach-volumes";
  w.attempt = 2;
  w.next_run_at = At(60);
  w.data_json = R"({"instance":"i-2"})";
  w.error = "VolumeInUse";
  w.planned = true;
  w.created_at = At(8);
  w.updated_at = At(9);
  return w;
}

inline void ExpectSameGroup(const GroupRecord& a, const GroupRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.spec_json, b.spec_json);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.deallocation_json, b.deallocation_json);
  EXPECT_EQ(a.status_json, b.status_json);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

inline void ExpectSameSsi(const SsiRecord& a, const SsiRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.group_id, b.group_id);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.desired, b.desired);
  EXPECT_EQ(a.pause_reason, b.pause_reason);
  EXPECT_EQ(a.availability_zone, b.availability_zone);
  EXPECT_EQ(a.subnet_id, b.subnet_id);
  EXPECT_EQ(a.private_ip, b.private_ip);
  EXPECT_EQ(a.eni_id, b.eni_id);
  EXPECT_EQ(a.instance_id, b.instance_id);
  EXPECT_EQ(a.instance_type, b.instance_type);
  EXPECT_EQ(a.market, b.market);
  EXPECT_EQ(a.image_id, b.image_id);
  ASSERT_EQ(a.conditions.size(), b.conditions.size());
  for (size_t i = 0; i < a.conditions.size(); ++i) {
    EXPECT_EQ(a.conditions[i].type, b.conditions[i].type);
    EXPECT_EQ(a.conditions[i].status, b.conditions[i].status);
    EXPECT_EQ(a.conditions[i].reason, b.conditions[i].reason);
    EXPECT_EQ(a.conditions[i].message, b.conditions[i].message);
    EXPECT_EQ(a.conditions[i].observed_generation, b.conditions[i].observed_generation);
    EXPECT_EQ(a.conditions[i].last_transition, b.conditions[i].last_transition);
  }
  EXPECT_EQ(a.status_json, b.status_json);
  EXPECT_EQ(a.observed_generation, b.observed_generation);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.launched_at, b.launched_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

inline void ExpectSameResource(const ResourceRecord& a, const ResourceRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.ssi_id, b.ssi_id);
  EXPECT_EQ(a.group_id, b.group_id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.role, b.role);
  EXPECT_EQ(a.device_name, b.device_name);
  EXPECT_EQ(a.availability_zone, b.availability_zone);
  EXPECT_EQ(a.source_id, b.source_id);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.cloud_state, b.cloud_state);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

inline void ExpectSameWorkflow(const WorkflowRecord& a, const WorkflowRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.ssi_id, b.ssi_id);
  EXPECT_EQ(a.group_id, b.group_id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.step_name, b.step_name);
  EXPECT_EQ(a.attempt, b.attempt);
  EXPECT_EQ(a.next_run_at, b.next_run_at);
  EXPECT_EQ(a.data_json, b.data_json);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.planned, b.planned);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

}  // namespace spotkeeper::store_testing
