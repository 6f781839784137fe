// Groups over real HTTP: create (JSON and YAML), list, get, update, delete, and the bodies the
// API must refuse.
#include <gtest/gtest.h>

#include "api/api_test_util.h"

namespace spotkeeper::api::testing {
namespace {

class ApiGroupsTest : public ::testing::Test {
 protected:
  FakeWorld world_;
  TempDir dir_;
  TestServer server_{&world_, dir_.path()};
};

TEST_F(ApiGroupsTest, CreateGetListUpdateDelete) {
  GroupSpec spec = world_.Spec("db");
  Reply created = server_.Post("/api/v1/group", ToJson(spec));
  ASSERT_EQ(created.status, 201) << created.Dump();
  std::string id = created.json["id"];
  EXPECT_EQ(id.rfind("sig-", 0), 0u);
  EXPECT_EQ(created.json["name"], "db");
  EXPECT_EQ(created.json["generation"], 1);
  EXPECT_EQ(created.json["spec"], ToJson(spec));
  EXPECT_EQ(created.Header("Location"), "/api/v1/group/" + id);
  EXPECT_EQ(created.json["status"]["phase"], "ACTIVE");
  EXPECT_EQ(created.json["status"]["conditions"][0]["type"], "Ready");
  EXPECT_EQ(created.json["status"]["conditions"][0]["status"], "False");

  ASSERT_TRUE(server_.RunUntil([&] {
    return server_.Get("/api/v1/group/" + id).json["status"]["capacity"]["active"] == 1;
  }));
  Reply got = server_.Get("/api/v1/group/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(got.json["status"]["conditions"][0]["reason"], "AllActive");
  EXPECT_EQ(got.json["status"]["statefulInstances"]["byState"]["ACTIVE"], 1);
  EXPECT_EQ(got.Header("ETag"), "\"1\"");

  Reply list = server_.Get("/api/v1/group");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["count"], 1);
  EXPECT_EQ(list.json["items"][0]["id"], id);

  // Update: the generation goes up; a stale If-Match is refused.
  spec.capacity.target = 2;
  Reply updated = server_.Call("PUT", "/api/v1/group/" + id, ToJson(spec).dump(),
                               "application/json", true, "", {{"If-Match", "\"1\""}});
  ASSERT_EQ(updated.status, 200) << updated.Dump();
  EXPECT_EQ(updated.json["generation"], 2);
  EXPECT_EQ(updated.json["spec"]["capacity"]["target"], 2);
  Reply stale = server_.Call("PUT", "/api/v1/group/" + id, ToJson(spec).dump(), "application/json",
                             true, "", {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 409) << stale.Dump();
  EXPECT_NE(stale.json["message"].get<std::string>().find("generation 2"), std::string::npos);

  // An identity change while instances exist: 409 naming the field.
  GroupSpec changed = spec;
  changed.strategy.persistence.should_persist_private_ip = false;
  Reply refused = server_.Call("PUT", "/api/v1/group/" + id, ToJson(changed).dump());
  EXPECT_EQ(refused.status, 409) << refused.Dump();
  EXPECT_NE(refused.json["message"].get<std::string>().find("shouldPersistPrivateIp"),
            std::string::npos);

  // Delete with flags: 202, DELETING, then gone from the list, DELETED with includeDeleted.
  Reply del = server_.Call("DELETE", "/api/v1/group/" + id,
                           R"({"statefulDeallocation": {"shouldDeleteVolumes": true,
                               "shouldDeleteSnapshots": true, "shouldDeleteImages": true,
                               "shouldDeleteNetworkInterfaces": true}})");
  ASSERT_EQ(del.status, 202) << del.Dump();
  EXPECT_EQ(del.json["status"]["phase"], "DELETING");
  EXPECT_EQ(del.json["status"]["deallocation"]["shouldDeleteVolumes"], true);
  ASSERT_TRUE(server_.RunUntil(
      [&] { return server_.Get("/api/v1/group/" + id).json["status"]["phase"] == "DELETED"; }));
  EXPECT_EQ(server_.Get("/api/v1/group").json["count"], 0);
  EXPECT_EQ(server_.Get("/api/v1/group?includeDeleted=true").json["count"], 1);
  EXPECT_EQ(server_.Call("DELETE", "/api/v1/group/" + id).status, 404);
  // Every volume the group made is gone from the cloud.
  for (const auto& v : world_.cloud->AllVolumes()) {
    if (v.tags.count(kTagGroup) && v.tags.at(kTagGroup) == id) {
      EXPECT_TRUE(v.state == "deleting" || v.state == "deleted") << v.id << " " << v.state;
    }
  }
}

TEST_F(ApiGroupsTest, CreateFromYamlAndWrapped) {
  std::string yaml =
      "name: from-yaml\nregion: us-east-1\ncapacity: {target: 0, maximum: 1}\n"
      "compute:\n  availabilityZones:\n    - name: " +
      world_.subnets[0].availability_zone + "\n      subnetIds: [" + world_.subnets[0].id +
      "]\n  instanceTypes: {spot: [m5.large], ondemand: m5.large}\n"
      "  launchSpecification: {imageId: " +
      world_.image + "}\nstrategy:\n  persistence: {shouldPersistRootDevice: true}\n";
  Reply r = server_.Call("POST", "/api/v1/group", yaml, "application/yaml");
  ASSERT_EQ(r.status, 201) << r.Dump();
  EXPECT_EQ(r.json["name"], "from-yaml");

  nlohmann::json wrapped = {{"group", ToJson(world_.Spec("wrapped", 0))}};
  Reply w = server_.Post("/api/v1/group", wrapped);
  ASSERT_EQ(w.status, 201) << w.Dump();
  EXPECT_EQ(w.json["name"], "wrapped");

  Reply dup = server_.Post("/api/v1/group", wrapped);
  EXPECT_EQ(dup.status, 409) << dup.Dump();
  EXPECT_EQ(dup.json["code"], "AlreadyExists");
}

TEST_F(ApiGroupsTest, BadBodies) {
  Reply not_json = server_.Call("POST", "/api/v1/group", "{name: oops");
  EXPECT_EQ(not_json.status, 400) << not_json.Dump();
  EXPECT_EQ(not_json.json["code"], "InvalidArgument");
  EXPECT_NE(not_json.json["message"].get<std::string>().find("not JSON"), std::string::npos);

  Reply empty = server_.Call("POST", "/api/v1/group", "");
  EXPECT_EQ(empty.status, 400) << empty.Dump();
  EXPECT_NE(empty.json["message"].get<std::string>().find("empty"), std::string::npos);

  Reply array = server_.Call("POST", "/api/v1/group", "[1, 2]");
  EXPECT_EQ(array.status, 400) << array.Dump();

  Reply huge =
      server_.Call("POST", "/api/v1/group", "{\"name\": \"" + std::string(1 << 20, 'x') + "\"}");
  EXPECT_EQ(huge.status, 413) << huge.status;
  EXPECT_EQ(huge.json["code"], "PayloadTooLarge");
  EXPECT_EQ(huge.json["details"]["maxBytes"], 1 << 20);

  Reply text = server_.Call("POST", "/api/v1/group", "name: x", "text/plain");
  EXPECT_EQ(text.status, 415) << text.Dump();
  EXPECT_EQ(text.json["code"], "UnsupportedMediaType");

  GroupSpec bad = world_.Spec("bad");
  nlohmann::json j = ToJson(bad);
  j["capacity"] = {{"target", 5}, {"minimum", 0}, {"maximum", 1}};
  j["strategy"]["persistence"]["blockDevicesMod"] = "reattach";
  Reply invalid = server_.Post("/api/v1/group", j);
  ASSERT_EQ(invalid.status, 422) << invalid.Dump();
  EXPECT_EQ(invalid.json["code"], "InvalidArgument");
  std::set<std::string> paths;
  for (const auto& e : invalid.json["details"]["fieldErrors"]) paths.insert(e["path"]);
  EXPECT_TRUE(paths.count("strategy.persistence.blockDevicesMod")) << invalid.Dump();
  EXPECT_TRUE(std::any_of(paths.begin(), paths.end(), [](const std::string& p) {
    return p.rfind("capacity", 0) == 0;
  })) << invalid.Dump();
  // Nothing was written.
  EXPECT_EQ(server_.Get("/api/v1/group").json["count"], 0);

  Reply bad_query = server_.Get("/api/v1/group?includeDeleted=maybe");
  EXPECT_EQ(bad_query.status, 400) << bad_query.Dump();

  std::string id = server_.Post("/api/v1/group", ToJson(world_.Spec("ok", 0))).json["id"];
  Reply bad_flags = server_.Call("DELETE", "/api/v1/group/" + id,
                                 R"({"statefulDeallocation": {"shouldDeleteVolume": true}})");
  EXPECT_EQ(bad_flags.status, 400) << bad_flags.Dump();
  EXPECT_NE(bad_flags.json["message"].get<std::string>().find("shouldDeleteVolumes"),
            std::string::npos);
  EXPECT_EQ(server_.Get("/api/v1/group/" + id).json["status"]["phase"], "ACTIVE");
}

TEST_F(ApiGroupsTest, NotFoundAndMethodNotAllowed) {
  Reply missing = server_.Get("/api/v1/group/sig-00000000");
  EXPECT_EQ(missing.status, 404) << missing.Dump();
  EXPECT_EQ(missing.json["code"], "NotFound");

  Reply no_route = server_.Get("/api/v1/groups");
  EXPECT_EQ(no_route.status, 404) << no_route.Dump();
  EXPECT_NE(no_route.json["message"].get<std::string>().find("openapi.json"), std::string::npos);

  Reply wrong_method = server_.Call("PATCH", "/api/v1/group", "{}");
  EXPECT_EQ(wrong_method.status, 405) << wrong_method.Dump();
  EXPECT_EQ(wrong_method.json["code"], "MethodNotAllowed");
  EXPECT_EQ(wrong_method.Header("Allow"), "GET, POST");
  EXPECT_EQ(server_.Call("DELETE", "/api/v1/events").status, 405);

  Reply update_missing =
      server_.Call("PUT", "/api/v1/group/sig-00000000", ToJson(world_.Spec("x")).dump());
  EXPECT_EQ(update_missing.status, 404) << update_missing.Dump();
}

}  // namespace
}  // namespace spotkeeper::api::testing
