// The spotkeeper CLI binary against a real `spotkeeper server --provider sim` (time 100x):
// groups, instance actions with --wait, output formats, events, exit codes.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "sim_server.h"

namespace spotkeeper::testing {
namespace {

using api::testing::TempDir;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new SimServer(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(server_->ok()) << server_->Log(); }

  static RunResult Cli(std::vector<std::string> args,
                       std::map<std::string, std::string> extra_env = {}) {
    args.insert(args.begin(), SpotkeeperBinary());
    auto env = server_->ClientEnv();
    for (const auto& [k, v] : extra_env) env[k] = v;
    return RunProcess(args, env, std::chrono::seconds(90));
  }
  // The sim's example spec under another name (and capacity), written to a file.
  static std::string SpecFile(const std::string& name, int target = 1) {
    std::ifstream in(dir_->path() + "/sim-example.yaml");
    std::stringstream b;
    b << in.rdbuf();
    std::string spec =
        std::regex_replace(b.str(), std::regex("name: sim-example"), "name: " + name);
    spec = std::regex_replace(spec, std::regex("target: 1,"),
                              "target: " + std::to_string(target) + ",");
    std::string path = dir_->path() + "/" + name + ".yaml";
    std::ofstream(path) << spec;
    return path;
  }
  static nlohmann::json Json(const RunResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out << r.err;
    return j;
  }
  // Creates a group and waits for it; returns {group id, first SSI id}.
  static std::pair<std::string, std::string> Launch(const std::string& name) {
    RunResult c = Cli({"group", "create", "-f", SpecFile(name), "--wait", "-o", "json"});
    EXPECT_EQ(c.exit, 0) << c.out << c.err;
    std::string group = Json(c).value("id", "");
    RunResult l = Cli({"instance", "list", "--group", name, "-o", "json"});
    EXPECT_EQ(l.exit, 0) << l.err;
    auto items = Json(l)["items"];
    EXPECT_EQ(items.size(), 1u) << l.out;
    return {group, items.empty() ? "" : items[0].value("id", "")};
  }

  static TempDir* dir_;
  static SimServer* server_;
};

TempDir* CliTest::dir_ = nullptr;
SimServer* CliTest::server_ = nullptr;

TEST_F(CliTest, GroupCreateListGetUpdateDelete) {
  RunResult created = Cli({"group", "create", "-f", SpecFile("orders"), "--wait"});
  ASSERT_EQ(created.exit, 0) << created.out << created.err;
  EXPECT_NE(created.out.find("created (generation 1)"), std::string::npos) << created.out;
  EXPECT_NE(created.out.find("is ready"), std::string::npos) << created.out;
  EXPECT_TRUE(std::regex_search(created.out, std::regex(R"(\+\d+\.\d+s)"))) << created.out;

  RunResult list = Cli({"group", "list", "-o", "json"});
  ASSERT_EQ(list.exit, 0) << list.err;
  std::string id;
  nlohmann::json groups = Json(list);
  for (const auto& g : groups["items"]) {
    if (g["name"] == "orders") id = g["id"];
  }
  ASSERT_FALSE(id.empty()) << list.out;
  RunResult table = Cli({"group", "list"});
  ASSERT_EQ(table.exit, 0);
  EXPECT_NE(table.out.find("orders"), std::string::npos);
  std::istringstream lines(table.out);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 100u) << line;

  RunResult by_name = Cli({"group", "get", "orders", "-o", "yaml"});
  ASSERT_EQ(by_name.exit, 0) << by_name.err;
  EXPECT_NE(by_name.out.find("id: \"" + id + "\""), std::string::npos) << by_name.out;
  RunResult described = Cli({"group", "get", id});
  ASSERT_EQ(described.exit, 0);
  EXPECT_NE(described.out.find("1 of 1 ACTIVE"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("Stateful instances:"), std::string::npos);

  RunResult updated =
      Cli({"group", "update", id, "-f", SpecFile("orders", 2), "--wait", "--timeout", "2m"});
  ASSERT_EQ(updated.exit, 0) << updated.out << updated.err;
  EXPECT_NE(updated.out.find("generation 2"), std::string::npos);
  EXPECT_EQ(Json(Cli({"group", "get", id, "-o", "json"}))["status"]["capacity"]["active"], 2);

  RunResult deleted = Cli({"group", "delete", "orders", "--delete-volumes", "--delete-snapshots",
                           "--delete-images", "--delete-network-interfaces", "--wait"});
  ASSERT_EQ(deleted.exit, 0) << deleted.out << deleted.err;
  EXPECT_NE(deleted.out.find("is deleted"), std::string::npos) << deleted.out;
  auto after = Json(Cli({"group", "get", id, "-o", "json"}));
  EXPECT_EQ(after["status"]["phase"], "DELETED");
  EXPECT_EQ(after["status"]["deallocation"]["shouldDeleteVolumes"], true);
}

TEST_F(CliTest, InstanceActionsWithWait) {
  auto [group, ssi] = Launch("web");
  ASSERT_FALSE(ssi.empty());
  auto before = Json(Cli({"instance", "get", ssi, "-o", "json"}));

  RunResult recycled = Cli({"instance", "recycle", ssi, "--wait"});
  ASSERT_EQ(recycled.exit, 0) << recycled.out << recycled.err;
  EXPECT_NE(recycled.out.find("RECYCLING"), std::string::npos) << recycled.out;
  EXPECT_NE(recycled.out.find("is ACTIVE after"), std::string::npos) << recycled.out;
  auto after = Json(Cli({"instance", "get", ssi, "-o", "json"}));
  EXPECT_EQ(after["state"], "ACTIVE");
  EXPECT_EQ(after["privateIp"], before["privateIp"]);
  EXPECT_NE(after["instanceId"], before["instanceId"]);

  RunResult paused = Cli({"instance", "pause", ssi, "--wait", "-o", "json"});
  ASSERT_EQ(paused.exit, 0) << paused.out << paused.err;
  EXPECT_EQ(Json(paused)["state"], "PAUSED");  // progress went to stderr
  EXPECT_NE(paused.err.find("PAUSING"), std::string::npos) << paused.err;
  RunResult conflict = Cli({"instance", "recycle", ssi});
  EXPECT_EQ(conflict.exit, 4) << conflict.err;
  EXPECT_NE(conflict.err.find("only an ACTIVE stateful instance can be recycled"),
            std::string::npos);

  RunResult resumed = Cli({"ssi", "resume", ssi, "--wait"});
  ASSERT_EQ(resumed.exit, 0) << resumed.out << resumed.err;
  RunResult described = Cli({"instance", "get", ssi});
  EXPECT_NE(described.out.find("State:        ACTIVE"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("/dev/sdf"), std::string::npos);

  RunResult dealloc = Cli({"instance", "deallocate", ssi, "--delete-volumes", "--wait"});
  ASSERT_EQ(dealloc.exit, 0) << dealloc.out << dealloc.err;
  EXPECT_NE(dealloc.out.find("is DEALLOCATED"), std::string::npos) << dealloc.out;
  EXPECT_EQ(Json(Cli({"group", "get", group, "-o", "json"}))["spec"]["capacity"]["target"], 0);
}

TEST_F(CliTest, EventsListAndFollow) {
  auto [group, ssi] = Launch("events");
  RunResult listed = Cli({"events", "--group", "events", "-o", "json"});
  ASSERT_EQ(listed.exit, 0) << listed.err;
  auto events = Json(listed)["items"];
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) EXPECT_EQ(e["groupId"], group);
  RunResult table = Cli({"events", "--instance", ssi});
  ASSERT_EQ(table.exit, 0);
  EXPECT_NE(table.out.find("StateChanged"), std::string::npos) << table.out;

  auto env = server_->ClientEnv();
  auto follow = Subprocess::Start(
      {SpotkeeperBinary(), "events", "--instance", ssi, "--follow", "--tail", "1", "-o", "json"},
      env);
  ASSERT_NE(follow, nullptr);
  // The last old event first, then the stream.
  ASSERT_TRUE(
      follow->WaitFor([](const std::string& out,
                         const std::string&) { return out.find('\n') != std::string::npos; },
                      std::chrono::seconds(30)));
  ASSERT_EQ(Cli({"instance", "recycle", ssi}).exit, 0);
  EXPECT_TRUE(follow->WaitFor(
      [](const std::string& out, const std::string&) {
        return out.find("\"RecycleRequested\"") != std::string::npos &&
               out.find("RECYCLING -> ACTIVE") != std::string::npos;
      },
      std::chrono::seconds(60)))
      << follow->out() << follow->err();
  std::istringstream lines(follow->out());
  for (std::string line; std::getline(lines, line);) {
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
  }
  follow->Signal(SIGTERM);
  follow->Wait(std::chrono::seconds(10));
}

TEST_F(CliTest, ExitCodes) {
  RunResult missing = Cli({"group", "get", "sig-00000000"});
  EXPECT_EQ(missing.exit, 3) << missing.err;
  RunResult missing_name = Cli({"group", "get", "no-such-group"});
  EXPECT_EQ(missing_name.exit, 3) << missing_name.err;
  RunResult missing_ssi = Cli({"instance", "pause", "ssi-00000000"});
  EXPECT_EQ(missing_ssi.exit, 3) << missing_ssi.err;
  RunResult not_import = Cli({"instance", "import-status", "ssi-00000000"});
  EXPECT_EQ(not_import.exit, 3) << not_import.err;

  RunResult dup = Cli({"group", "create", "-f", SpecFile("dup")});
  ASSERT_EQ(dup.exit, 0) << dup.err;
  RunResult again = Cli({"group", "create", "-f", SpecFile("dup")});
  EXPECT_EQ(again.exit, 4) << again.err;

  std::string bad = dir_->path() + "/bad.yaml";
  std::ofstream(bad) << "name: bad\nregion: us-east-1\ncapacity: {target: 3, maximum: 1}\n";
  RunResult invalid = Cli({"group", "create", "-f", bad});
  EXPECT_EQ(invalid.exit, 1) << invalid.err;
  EXPECT_NE(invalid.err.find("capacity"), std::string::npos) << invalid.err;
  EXPECT_NE(invalid.err.find("compute"), std::string::npos) << invalid.err;

  RunResult unreachable = Cli({"group", "list", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(unreachable.exit, 6) << unreachable.err;
  EXPECT_NE(unreachable.err.find("cannot reach"), std::string::npos);
  RunResult env_server = Cli({"group", "list"}, {{"SPOTKEEPER_SERVER", "http://127.0.0.1:1"}});
  EXPECT_EQ(env_server.exit, 6) << env_server.err;

  RunResult wrong_token = Cli({"group", "list", "--token", "nope"});
  EXPECT_EQ(wrong_token.exit, 7) << wrong_token.err;
  RunResult env_token = Cli({"group", "list"}, {{"SPOTKEEPER_TOKEN", "nope"}});
  EXPECT_EQ(env_token.exit, 7) << env_token.err;
  // Without the data dir there is no token (and no address: --server points at it).
  RunResult no_token = RunProcess({SpotkeeperBinary(), "group", "list", "--server", server_->url()},
                                  {{"HOME", dir_->path() + "/elsewhere"}});
  EXPECT_EQ(no_token.exit, 7) << no_token.err;
  EXPECT_NE(no_token.err.find("no token"), std::string::npos) << no_token.err;

  EXPECT_EQ(Cli({"group", "create"}).exit, 2);  // -f is required
  EXPECT_EQ(Cli({"group", "frobnicate"}).exit, 2);
  EXPECT_EQ(Cli({"instance", "import", "--instance-id", "i-1"}).exit, 2);
  EXPECT_EQ(Cli({"group", "list", "-o", "xml"}).exit, 2);
  EXPECT_EQ(Cli({"instance", "recycle", "ssi-1", "--wait", "--timeout", "soon"}).exit, 2);

  RunResult help = Cli({"--help"});
  EXPECT_EQ(help.exit, 0);
  EXPECT_NE(help.out.find("Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict"),
            std::string::npos)
      << help.out;
}

TEST_F(CliTest, ImportOfAManagedInstanceConflictsAndCompletion) {
  auto [group, ssi] = Launch("imports");
  std::string instance = Json(Cli({"instance", "get", ssi, "-o", "json"}))["instanceId"];
  RunResult into = Cli({"instance", "import", "--instance-id", instance, "--group", "imports"});
  EXPECT_EQ(into.exit, 4) << into.err;
  RunResult fresh = Cli({"instance", "import", "--instance-id", instance, "--new-group", "n2"});
  EXPECT_EQ(fresh.exit, 4) << fresh.err;
  RunResult none =
      Cli({"instance", "import", "--instance-id", "i-0000000000000000", "--new-group", "n3"});
  EXPECT_EQ(none.exit, 3) << none.err;
  RunResult cancel = Cli({"instance", "import-cancel", ssi});
  EXPECT_EQ(cancel.exit, 3) << cancel.err;  // not an import

  RunResult completion = Cli({"completion", "bash"});
  ASSERT_EQ(completion.exit, 0);
  EXPECT_NE(completion.out.find("complete -o default -F _spotkeeper spotkeeper"),
            std::string::npos);
  EXPECT_NE(completion.out.find("\"instance\") words="), std::string::npos);
  EXPECT_NE(completion.out.find("--delete-network-interfaces"), std::string::npos);
  EXPECT_EQ(Cli({"completion", "zsh"}).exit, 2);
}

}  // namespace
}  // namespace spotkeeper::testing
