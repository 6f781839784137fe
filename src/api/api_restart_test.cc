// A server killed in the middle of a recycle and started again on the same data directory and
// cloud finishes the recycle; imports (into a new group, cancelled, refused).
#include <gtest/gtest.h>

#include "api/api_test_util.h"

namespace spotkeeper::api::testing {
namespace {

std::string DataVolume(const nlohmann::json& ssi) {
  for (const auto& d : ssi["devices"]) {
    if (d["deviceName"] == "/dev/sdf") return d["volumeId"];
  }
  return "";
}

TEST(ApiRestartTest, KilledMidRecycleFinishesAfterRestart) {
  FakeWorld world;
  TempDir dir;
  std::string group, ssi, ip, volume, old_instance;
  {
    TestServer first(&world, dir.path(), 7);
    group = first.CreateAndLaunch(world.Spec("db"));
    nlohmann::json s = first.FirstSsi(group);
    ssi = s["id"];
    ip = s["privateIp"];
    volume = DataVolume(s);
    old_instance = s["instanceId"];
    ASSERT_FALSE(volume.empty());
    ASSERT_EQ(first.Put("/api/v1/statefulInstance/" + ssi + "/recycle").status, 202);
    // Run until the old instance is gone and its final snapshot is being taken...
    ASSERT_TRUE(first.RunUntil([&] {
      auto wfs = first.app().store().ListWorkflows(ssi);
      return wfs.ok() && !wfs->empty() && wfs->front().kind == "recycle" &&
             wfs->front().step_name == "wait_final_snapshots";
    }));
    EXPECT_EQ(first.SsiState(ssi), "RECYCLING");
    // ...and stop there: no more ticks, the server object goes away with the workflow in the
    // middle (as after kill -9: only committed steps are in the store).
  }
  TestServer second(&world, dir.path(), 8);
  Reply mid = second.Get("/api/v1/statefulInstance/" + ssi);
  ASSERT_EQ(mid.status, 200) << mid.Dump();
  EXPECT_EQ(mid.json["state"], "RECYCLING");
  EXPECT_EQ(mid.json["workflow"]["step"], "wait_final_snapshots");
  ASSERT_TRUE(second.RunUntil([&] {
    Reply r = second.Get("/api/v1/statefulInstance/" + ssi);
    return r.json["state"] == "ACTIVE" && r.json["workflow"]["status"] == "succeeded";
  }));
  Reply after = second.Get("/api/v1/statefulInstance/" + ssi);
  EXPECT_EQ(after.json["privateIp"], ip);
  EXPECT_EQ(DataVolume(after.json), volume);
  EXPECT_NE(after.json["instanceId"], old_instance);
  EXPECT_EQ(after.json["lastRecovery"]["reason"], "Recycle");
  // Exactly one live instance carries the SSI, and the volume is attached to it.
  int live = 0;
  for (const auto& i : world.cloud->AllInstances()) {
    if (i.tags.count(kTagSsi) && i.tags.at(kTagSsi) == ssi &&
        (i.state == InstanceState::kRunning || i.state == InstanceState::kPending)) {
      ++live;
      EXPECT_EQ(i.id, after.json["instanceId"]);
    }
  }
  EXPECT_EQ(live, 1);
  for (const auto& v : world.cloud->AllVolumes()) {
    if (v.id != volume) continue;
    ASSERT_EQ(v.attachments.size(), 1u);
    EXPECT_EQ(v.attachments[0].instance_id, after.json["instanceId"]);
  }
}

// An instance spotkeeper did not launch, with a data volume at /dev/sdf, running.
std::string LaunchForeign(FakeWorld& world, TestServer& server, const std::string& token) {
  RunInstanceRequest run;
  run.image_id = world.image;
  run.instance_type = "m5.large";
  run.subnet_id = world.subnets[0].id;
  run.block_devices = {{"/dev/sdf", 20, "", "gp3", false}};
  run.tags = {{"Name", "legacy-db"}};
  run.client_token = token;
  auto inst = world.cloud->RunInstance(run);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  if (!inst.ok()) return "";
  std::string id = inst->id;
  EXPECT_TRUE(server.RunUntil([&] {
    for (const auto& i : world.cloud->AllInstances()) {
      if (i.id == id) return i.state == InstanceState::kRunning;
    }
    return false;
  }));
  return id;
}

TEST(ApiImportTest, ImportIntoANewGroupKeepsThePrivateIp) {
  FakeWorld world;
  TempDir dir;
  TestServer server(&world, dir.path());
  std::string foreign = LaunchForeign(world, server, "legacy");
  std::string foreign_ip;
  for (const auto& i : world.cloud->AllInstances()) {
    if (i.id == foreign) foreign_ip = i.private_ip;
  }
  Reply r = server.Post(
      "/api/v1/import",
      {{"originalInstanceId", foreign}, {"newGroupName", "legacy"}, {"shouldKeepPrivateIp", true}});
  ASSERT_EQ(r.status, 202) << r.Dump();
  std::string id = r.json["id"];
  EXPECT_EQ(r.json["state"], "MIGRATE_PREPARING");
  EXPECT_EQ(r.json["cancellable"], true);
  EXPECT_EQ(r.json["originalInstanceId"], foreign);
  EXPECT_EQ(r.json["shouldTerminateInstance"], true);  // implied by keeping the IP
  EXPECT_EQ(r.Header("Location"), "/api/v1/import/" + id);
  std::string group = r.json["groupId"];
  Reply g = server.Get("/api/v1/group/" + group);
  EXPECT_EQ(g.json["name"], "legacy");
  EXPECT_EQ(g.json["spec"]["capacity"]["target"], 1);
  EXPECT_EQ(
      g.json["spec"]["compute"]["launchSpecification"]["blockDeviceMappings"][0]["deviceName"],
      "/dev/sdf");
  EXPECT_EQ(g.json["spec"]["compute"]["launchSpecification"]["blockDeviceMappings"][0]["ebs"]
                  ["volumeSize"],
            20);
  EXPECT_EQ(g.json["spec"]["strategy"]["persistence"]["shouldPersistPrivateIp"], true);

  std::set<std::string> seen;
  ASSERT_TRUE(server.RunUntil([&] {
    Reply s = server.Get("/api/v1/import/" + id);
    seen.insert(s.json["state"].get<std::string>());
    return s.json["state"] == "MIGRATE_SUCCEEDED";
  }));
  EXPECT_TRUE(seen.count("MIGRATE_LAUNCHING")) << nlohmann::json(seen).dump();
  Reply ssi = server.Get("/api/v1/statefulInstance/" + id);
  EXPECT_EQ(ssi.json["state"], "ACTIVE");
  EXPECT_EQ(ssi.json["privateIp"], foreign_ip);
  EXPECT_NE(ssi.json["instanceId"], foreign);
  Reply list = server.Get("/api/v1/import");
  ASSERT_EQ(list.json["count"], 1);
  EXPECT_EQ(list.json["items"][0]["cancellable"], false);
  EXPECT_EQ(server.Put("/api/v1/import/" + id + "/cancel").status, 409);
}

TEST(ApiImportTest, CancelLeavesTheSourceAlone) {
  FakeWorld world;
  TempDir dir;
  TestServer server(&world, dir.path());
  std::string group = server.Post("/api/v1/group", ToJson(world.Spec("db", 0))).json["id"];
  std::string foreign = LaunchForeign(world, server, "keep-me");
  Reply r = server.Post("/api/v1/import", {{"originalInstanceId", foreign}, {"groupId", group}});
  ASSERT_EQ(r.status, 202) << r.Dump();
  std::string id = r.json["id"];
  Reply c = server.Put("/api/v1/import/" + id + "/cancel");
  ASSERT_EQ(c.status, 202) << c.Dump();
  EXPECT_EQ(c.json["state"], "MIGRATE_CANCELLED");
  EXPECT_EQ(server.Put("/api/v1/import/" + id + "/cancel").status, 409);
  ASSERT_TRUE(server.RunUntil([&] { return server.SsiState(id) == "DEALLOCATED"; }));
  for (const auto& i : world.cloud->AllInstances()) {
    if (i.id == foreign) {
      EXPECT_EQ(i.state, InstanceState::kRunning);
    }
  }
}

TEST(ApiImportTest, RefusedImports) {
  FakeWorld world;
  TempDir dir;
  TestServer server(&world, dir.path());
  std::string group = server.CreateAndLaunch(world.Spec("db"));
  std::string managed = server.FirstSsi(group)["instanceId"];

  Reply unknown = server.Post(
      "/api/v1/import", {{"originalInstanceId", "i-0000000000000000"}, {"newGroupName", "x"}});
  EXPECT_EQ(unknown.status, 404) << unknown.Dump();
  Reply both =
      server.Post("/api/v1/import",
                  {{"originalInstanceId", managed}, {"groupId", group}, {"newGroupName", "x"}});
  EXPECT_EQ(both.status, 400) << both.Dump();
  Reply missing = server.Post("/api/v1/import", {{"groupId", group}});
  EXPECT_EQ(missing.status, 400) << missing.Dump();
  Reply typo = server.Post(
      "/api/v1/import",
      {{"originalInstanceId", managed}, {"groupId", group}, {"shouldKeepPrivateIP", true}});
  EXPECT_EQ(typo.status, 400) << typo.Dump();
  EXPECT_NE(typo.json["message"].get<std::string>().find("shouldKeepPrivateIp"), std::string::npos);
  Reply again =
      server.Post("/api/v1/import", {{"originalInstanceId", managed}, {"newGroupName", "dup"}});
  EXPECT_EQ(again.status, 409) << again.Dump();
  Reply into = server.Post("/api/v1/import", {{"originalInstanceId", managed}, {"groupId", group}});
  EXPECT_EQ(into.status, 409) << into.Dump();
  Reply no_group =
      server.Post("/api/v1/import", {{"originalInstanceId", managed}, {"groupId", "sig-00000000"}});
  EXPECT_EQ(no_group.status, 404) << no_group.Dump();
  EXPECT_EQ(server.Get("/api/v1/import/" + server.FirstSsi(group)["id"].get<std::string>()).status,
            404);
  EXPECT_EQ(server.Get("/api/v1/import/ssi-00000000").status, 404);
  // No group was left behind by the refused new-group imports.
  EXPECT_EQ(server.Get("/api/v1/group").json["count"], 1);
}

}  // namespace
}  // namespace spotkeeper::api::testing
