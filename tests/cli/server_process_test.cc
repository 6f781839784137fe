// The real `spotkeeper server` process: single writer per data dir, SIGTERM exits 0, the token
// file is private, JSON logs carry requests but never the token, refusals of bad settings.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "sim_server.h"

namespace spotkeeper::testing {
namespace {

using api::testing::TempDir;

TEST(ServerProcessTest, SecondServerOnTheSameDataDirIsRefusedAndSigtermExitsZero) {
  TempDir dir;
  SimServer first(dir.path());
  ASSERT_TRUE(first.ok()) << first.Log();

  struct stat st;
  ASSERT_EQ(stat((dir.path() + "/token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(first.token().size(), 64u);
  EXPECT_EQ(first.url().rfind("http://127.0.0.1:", 0), 0u) << first.url();
  EXPECT_NE(first.Log().find("NOTHING REAL IS LAUNCHED"), std::string::npos);

  httplib::Client c(first.url());
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto unauth = c.Get("/api/v1/group");
  ASSERT_TRUE(unauth);
  EXPECT_EQ(unauth->status, 401);

  RunResult second = RunProcess({SpotkeeperBinary(), "server", "--provider", "sim", "--data-dir",
                                 dir.path(), "--listen", "127.0.0.1:0"},
                                {{"HOME", dir.path()}});
  EXPECT_EQ(second.exit, 1) << second.err;
  EXPECT_NE(second.err.find("another spotkeeper server (pid " +
                            std::to_string(first.process().pid()) + ")"),
            std::string::npos)
      << second.err;

  EXPECT_EQ(first.Stop(), 0) << first.Log();
  EXPECT_NE(first.Log().find("shutting down"), std::string::npos);
  EXPECT_NE(first.Log().find("stopped"), std::string::npos);
  EXPECT_NE(access((dir.path() + "/address").c_str(), F_OK), 0);  // removed at shutdown
  // The token survives; a new server on the same dir starts and reuses it.
  SimServer again(dir.path());
  ASSERT_TRUE(again.ok()) << again.Log();
  EXPECT_EQ(again.token(), first.token());
  again.process().Signal(SIGINT);
  EXPECT_EQ(again.process().Wait(std::chrono::seconds(30)).value_or(-1), 0);
}

TEST(ServerProcessTest, JsonLogsFromTheConfigFileAndNoTokenInThem) {
  TempDir dir;
  std::string config = dir.path() + "/server.yaml";
  std::ofstream(config) << "logFormat: json\nlogLevel: debug\nlisten: 127.0.0.1:7\n";
  // The environment beats the file (listen), the file beats the default (logFormat).
  SimServer server(dir.path(), {"--config", config}, {{"SPOTKEEPER_LISTEN", "127.0.0.1:9"}});
  // The flag in SimServer (--listen 127.0.0.1:0) beats both.
  ASSERT_TRUE(server.ok()) << server.Log();
  httplib::Client c(server.url());
  c.set_bearer_token_auth(server.token().c_str());
  auto r = c.Get("/api/v1/group");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server.Stop(), 0);
  const std::string log = server.Log();
  bool request_line = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
    if (j.value("event", "") == "request" && j.value("path", "") == "/api/v1/group") {
      request_line = true;
      EXPECT_EQ(j["method"], "GET");
      EXPECT_EQ(j["status"], 200);
      EXPECT_TRUE(j["ms"].is_number());
    }
  }
  EXPECT_TRUE(request_line) << log;
  EXPECT_EQ(log.find(server.token()), std::string::npos) << "the token leaked into the log";
  EXPECT_NE(log.find("setting logFormat from file " + config), std::string::npos) << log;
  EXPECT_NE(log.find("setting listen from flag"), std::string::npos) << log;
}

TEST(ServerProcessTest, RefusesBadSettingsWithUsageExit) {
  TempDir dir;
  RunResult remote = RunProcess({SpotkeeperBinary(), "server", "--provider", "sim", "--data-dir",
                                 dir.path(), "--listen", "0.0.0.0:0"},
                                {{"HOME", dir.path()}});
  EXPECT_EQ(remote.exit, 2) << remote.err;
  EXPECT_NE(remote.err.find("--allow-remote"), std::string::npos) << remote.err;
  RunResult env = RunProcess({SpotkeeperBinary(), "server", "--data-dir", dir.path()},
                             {{"HOME", dir.path()}, {"SPOTKEEPER_PROVIDER", "gcp"}});
  EXPECT_EQ(env.exit, 2) << env.err;
  EXPECT_NE(env.err.find("env SPOTKEEPER_PROVIDER"), std::string::npos) << env.err;
  RunResult flag =
      RunProcess({SpotkeeperBinary(), "server", "--provider", "azure"}, {{"HOME", dir.path()}});
  EXPECT_EQ(flag.exit, 2) << flag.err;
}

}  // namespace
}  // namespace spotkeeper::testing
