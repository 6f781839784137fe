// Stateful instances over real HTTP: list/get fields, the actions and their conflicts, two
// clients acting on one instance at once.
#include <gtest/gtest.h>

#include <thread>

#include "api/api_test_util.h"

namespace spotkeeper::api::testing {
namespace {

class ApiInstancesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    group_ = server_.CreateAndLaunch(world_.Spec("db"));
    ASSERT_FALSE(group_.empty());
    nlohmann::json s = server_.FirstSsi(group_);
    ASSERT_FALSE(s.is_null());
    ssi_ = s["id"];
  }
  bool RunUntilState(const std::string& state) {
    return server_.RunUntil([&] { return server_.SsiState(ssi_) == state; });
  }

  FakeWorld world_;
  TempDir dir_;
  TestServer server_{&world_, dir_.path()};
  std::string group_;
  std::string ssi_;
};

TEST_F(ApiInstancesTest, ListAndGetCarryElastigroupFields) {
  Reply all = server_.Get("/api/v1/statefulInstance");
  ASSERT_EQ(all.status, 200);
  ASSERT_EQ(all.json["count"], 1);
  Reply by_group = server_.Get("/api/v1/statefulInstance?groupId=" + group_);
  EXPECT_EQ(by_group.json["count"], 1);
  EXPECT_EQ(server_.Get("/api/v1/statefulInstance?state=PAUSED").json["count"], 0);
  EXPECT_EQ(server_.Get("/api/v1/statefulInstance?state=SLEEPING").status, 400);
  EXPECT_EQ(server_.Get("/api/v1/statefulInstance?groupId=sig-00000000").status, 404);

  Reply r = server_.Get("/api/v1/group/" + group_ + "/statefulInstance/" + ssi_);
  ASSERT_EQ(r.status, 200) << r.Dump();
  const nlohmann::json& s = r.json;
  EXPECT_EQ(s["id"], ssi_);
  EXPECT_EQ(s["groupId"], group_);
  EXPECT_EQ(s["state"], "ACTIVE");
  EXPECT_EQ(s["instanceId"].get<std::string>().rfind("i-", 0), 0u);
  EXPECT_EQ(s["privateIp"].get<std::string>().rfind("10.0.1.", 0), 0u);
  EXPECT_EQ(s["imageId"], world_.image);
  EXPECT_EQ(s["lifeCycle"], "SPOT");
  EXPECT_FALSE(s["launchedAt"].get<std::string>().empty());
  EXPECT_FALSE(s["createdAt"].get<std::string>().empty());
  bool has_sdf = false;
  for (const auto& d : s["devices"]) {
    if (d["deviceName"] == "/dev/sdf") {
      has_sdf = true;
      EXPECT_EQ(d["volumeId"].get<std::string>().rfind("vol-", 0), 0u);
      EXPECT_TRUE(d.contains("snapshotId"));
    }
  }
  EXPECT_TRUE(has_sdf) << s.dump(2);
  EXPECT_TRUE(s["conditions"].is_array());
  EXPECT_TRUE(s["snapshots"].is_array());
  EXPECT_TRUE(s["images"].is_array());
  EXPECT_EQ(s["workflow"]["kind"], "launch");
  EXPECT_EQ(s["workflow"]["status"], "succeeded");

  // The same instance by its own path; not under another group.
  EXPECT_EQ(server_.Get("/api/v1/statefulInstance/" + ssi_).json, s);
  std::string other = server_.Post("/api/v1/group", ToJson(world_.Spec("other", 0))).json["id"];
  Reply wrong = server_.Get("/api/v1/group/" + other + "/statefulInstance/" + ssi_);
  EXPECT_EQ(wrong.status, 404) << wrong.Dump();
  EXPECT_EQ(server_.Get("/api/v1/statefulInstance/ssi-00000000").status, 404);
  EXPECT_EQ(server_.Get("/api/v1/group/sig-00000000/statefulInstance").status, 404);
}

TEST_F(ApiInstancesTest, PauseResumeRecycleKeepIdentity) {
  Reply before = server_.Get("/api/v1/statefulInstance/" + ssi_);
  std::string ip = before.json["privateIp"];
  std::string instance = before.json["instanceId"];

  Reply paused = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/pause");
  ASSERT_EQ(paused.status, 202) << paused.Dump();
  EXPECT_EQ(paused.json["desiredState"], "paused");
  ASSERT_TRUE(RunUntilState("PAUSED"));
  // Resuming while not paused any more is fine; recycling a paused instance is not.
  Reply recycle_paused = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/recycle");
  EXPECT_EQ(recycle_paused.status, 409) << recycle_paused.Dump();
  EXPECT_EQ(recycle_paused.json["code"], "FailedPrecondition");

  ASSERT_EQ(server_.Put("/api/v1/group/" + group_ + "/statefulInstance/" + ssi_ + "/resume").status,
            202);
  ASSERT_TRUE(RunUntilState("ACTIVE"));

  Reply rec = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/recycle");
  ASSERT_EQ(rec.status, 202) << rec.Dump();
  EXPECT_EQ(rec.json["state"], "RECYCLE");
  EXPECT_EQ(rec.json["pendingAction"]["kind"], "recycle");
  EXPECT_EQ(server_.Put("/api/v1/statefulInstance/" + ssi_ + "/recycle").status, 409);
  ASSERT_TRUE(server_.RunUntil([&] {
    Reply r = server_.Get("/api/v1/statefulInstance/" + ssi_);
    return r.json["state"] == "ACTIVE" && r.json["workflow"]["kind"] == "recycle" &&
           r.json["workflow"]["status"] == "succeeded";
  }));
  Reply after = server_.Get("/api/v1/statefulInstance/" + ssi_);
  EXPECT_EQ(after.json["privateIp"], ip);
  EXPECT_NE(after.json["instanceId"], instance);
  EXPECT_EQ(after.json["lastRecovery"]["reason"], "Recycle");
  EXPECT_GT(after.json["lastRecovery"]["totalMs"].get<int64_t>(), 0);
  EXPECT_TRUE(after.json["lastRecovery"]["timings"].contains("active")) << after.Dump();
  EXPECT_FALSE(after.json["images"].empty());

  // Nothing to retry: not in ERROR.
  Reply retry = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/retry");
  EXPECT_EQ(retry.status, 409) << retry.Dump();
  // Actions take no body (except deallocate's flags).
  Reply body = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/pause", {{"now", true}});
  EXPECT_EQ(body.status, 400) << body.Dump();
  Reply garbage = server_.Call("PUT", "/api/v1/statefulInstance/" + ssi_ + "/pause", "{oops");
  EXPECT_EQ(garbage.status, 400) << garbage.Dump();
  EXPECT_EQ(server_.Put("/api/v1/statefulInstance/ssi-00000000/pause").status, 404);
}

TEST_F(ApiInstancesTest, ConcurrentRecyclesOneWins) {
  for (int round = 0; round < 3; ++round) {
    std::vector<int> statuses(2);
    std::thread a(
        [&] { statuses[0] = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/recycle").status; });
    std::thread b(
        [&] { statuses[1] = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/recycle").status; });
    a.join();
    b.join();
    std::sort(statuses.begin(), statuses.end());
    EXPECT_EQ(statuses, (std::vector<int>{202, 409})) << "round " << round;
    ASSERT_TRUE(server_.RunUntil([&] {
      auto s = server_.app().store().GetSsi(ssi_);
      return s.ok() && s->state == SsiState::kActive &&
             s->status_json.find("pending") == std::string::npos;
    }));
  }
}

TEST_F(ApiInstancesTest, DeallocateWithFlags) {
  Reply bad = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/deallocate",
                          {{"shouldDeleteVolumes", "yes"}});
  EXPECT_EQ(bad.status, 400) << bad.Dump();
  Reply both = server_.Put(
      "/api/v1/statefulInstance/" + ssi_ + "/deallocate",
      {{"statefulDeallocation", {{"shouldDeleteVolumes", true}}}, {"shouldDeleteImages", true}});
  EXPECT_EQ(both.status, 400) << both.Dump();
  std::string volume;
  Reply current = server_.Get("/api/v1/statefulInstance/" + ssi_);
  for (const auto& d : current.json["devices"]) {
    if (d["deviceName"] == "/dev/sdf") volume = d["volumeId"];
  }
  ASSERT_FALSE(volume.empty());

  Reply r = server_.Put("/api/v1/statefulInstance/" + ssi_ + "/deallocate",
                        {{"statefulDeallocation",
                          {{"shouldDeleteVolumes", true},
                           {"shouldDeleteSnapshots", true},
                           {"shouldDeleteImages", true},
                           {"shouldDeleteNetworkInterfaces", true}}}});
  ASSERT_EQ(r.status, 202) << r.Dump();
  EXPECT_EQ(r.json["desiredState"], "deallocated");
  ASSERT_TRUE(RunUntilState("DEALLOCATED"));
  EXPECT_EQ(server_.Get("/api/v1/group/" + group_).json["spec"]["capacity"]["target"], 0);
  bool gone = false;
  for (const auto& v : world_.cloud->AllVolumes()) {
    if (v.id == volume) gone = v.state == "deleting" || v.state == "deleted";
  }
  EXPECT_TRUE(gone) << volume;
  // A deallocated instance takes no more actions.
  EXPECT_EQ(server_.Put("/api/v1/statefulInstance/" + ssi_ + "/pause").status, 409);
}

}  // namespace
}  // namespace spotkeeper::api::testing
