#include "api/server_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "api/api_test_util.h"

namespace spotkeeper::api {
namespace {

using testing::TempDir;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string WriteFile(const TempDir& dir, const std::string& text) {
  std::string path = dir.path() + "/server.yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(ServerConfigTest, Defaults) {
  auto s = ResolveServerSettings({}, Env({{"HOME", "/home/x"}}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->listen, "127.0.0.1:7780");
  EXPECT_EQ(s->host, "127.0.0.1");
  EXPECT_EQ(s->port, 7780);
  EXPECT_EQ(s->provider, "ec2");
  EXPECT_EQ(s->log_format, "text");
  EXPECT_EQ(s->log_level, "info");
  EXPECT_FALSE(s->allow_remote);
  EXPECT_EQ(s->sources["listen"], "default");
  EXPECT_FALSE(s->data_dir.empty());
}

TEST(ServerConfigTest, FlagBeatsEnvBeatsFileBeatsDefault) {
  TempDir dir;
  std::string file = WriteFile(dir,
                               "listen: 127.0.0.1:1111\n"
                               "provider: sim\n"
                               "logLevel: debug\n"
                               "logFormat: json\n"
                               "simSpeed: 10\n"
                               "dataDir: /tmp/from-file\n");
  ServerFlags flags;
  flags.config = file;
  flags.listen = "127.0.0.1:3333";
  auto env = Env({{"SPOTKEEPER_LISTEN", "127.0.0.1:2222"},
                  {"SPOTKEEPER_LOG_LEVEL", "warn"},
                  {"SPOTKEEPER_SIM_SPEED", "20"}});
  auto s = ResolveServerSettings(flags, env);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->listen, "127.0.0.1:3333");  // flag over env and file
  EXPECT_EQ(s->sources["listen"], "flag");
  EXPECT_EQ(s->log_level, "warn");  // env over file
  EXPECT_EQ(s->sources["logLevel"], "env SPOTKEEPER_LOG_LEVEL");
  EXPECT_EQ(s->sim_speed, 20);
  EXPECT_EQ(s->log_format, "json");  // file over default
  EXPECT_EQ(s->sources["logFormat"], "file " + file);
  EXPECT_EQ(s->provider, "sim");
  EXPECT_EQ(s->data_dir, "/tmp/from-file");
  EXPECT_EQ(s->region, "");  // default
  EXPECT_EQ(s->config_file, file);

  // The config file can come from the environment too.
  auto via_env = ResolveServerSettings({}, Env({{"SPOTKEEPER_CONFIG", file}}));
  ASSERT_TRUE(via_env.ok()) << via_env.status().ToString();
  EXPECT_EQ(via_env->listen, "127.0.0.1:1111");
  EXPECT_EQ(via_env->sim_speed, 10);
}

TEST(ServerConfigTest, ProviderConfigPassesThrough) {
  TempDir dir;
  std::string file = WriteFile(dir,
                               "provider: ec2\nregion: eu-west-1\nproviderConfig:\n"
                               "  maxAttempts: 3\n  sqsEndpointUrl: http://localhost:9324\n");
  ServerFlags flags;
  flags.config = file;
  auto s = ResolveServerSettings(flags, Env({}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->region, "eu-west-1");
  EXPECT_EQ(s->provider_config["maxAttempts"], 3);
  EXPECT_EQ(s->provider_config["sqsEndpointUrl"], "http://localhost:9324");
}

TEST(ServerConfigTest, RefusesBadSettings) {
  TempDir dir;
  ServerFlags flags;
  flags.config = WriteFile(dir, "listn: 127.0.0.1:1\n");
  auto typo = ResolveServerSettings(flags, Env({}));
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean 'listen'"), std::string::npos)
      << typo.status().ToString();

  flags.config = WriteFile(dir, "- a\n- b\n");
  EXPECT_FALSE(ResolveServerSettings(flags, Env({})).ok());
  flags.config = dir.path() + "/missing.yaml";
  EXPECT_FALSE(ResolveServerSettings(flags, Env({})).ok());

  ServerFlags bad;
  bad.provider = "gcp";
  auto p = ResolveServerSettings(bad, Env({}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("sim"), std::string::npos);

  auto level = ResolveServerSettings({}, Env({{"SPOTKEEPER_LOG_LEVEL", "loud"}}));
  ASSERT_FALSE(level.ok());
  EXPECT_NE(level.status().message().find("env SPOTKEEPER_LOG_LEVEL"), std::string::npos);

  EXPECT_FALSE(ResolveServerSettings({}, Env({{"SPOTKEEPER_LOG_FORMAT", "xml"}})).ok());
  EXPECT_FALSE(ResolveServerSettings({}, Env({{"SPOTKEEPER_LISTEN", "127.0.0.1"}})).ok());
  EXPECT_FALSE(ResolveServerSettings({}, Env({{"SPOTKEEPER_LISTEN", "127.0.0.1:99999"}})).ok());
  EXPECT_FALSE(ResolveServerSettings({}, Env({{"SPOTKEEPER_ALLOW_REMOTE", "perhaps"}})).ok());
  // simSpeed is for the sim provider only.
  auto speed = ResolveServerSettings({}, Env({{"SPOTKEEPER_SIM_SPEED", "5"}}));
  ASSERT_FALSE(speed.ok());
  EXPECT_NE(speed.status().message().find("sim"), std::string::npos);
  ServerFlags zero;
  zero.provider = "sim";
  zero.sim_speed = 0;
  EXPECT_FALSE(ResolveServerSettings(zero, Env({})).ok());
}

TEST(ServerConfigTest, RemoteListenNeedsAllowRemote) {
  ServerFlags flags;
  flags.listen = "0.0.0.0:7780";
  auto refused = ResolveServerSettings(flags, Env({}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--allow-remote"), std::string::npos);
  EXPECT_NE(refused.status().message().find("token"), std::string::npos);
  flags.allow_remote = true;
  EXPECT_TRUE(ResolveServerSettings(flags, Env({})).ok());
  auto env = ResolveServerSettings(
      {}, Env({{"SPOTKEEPER_LISTEN", "10.1.2.3:80"}, {"SPOTKEEPER_ALLOW_REMOTE", "true"}}));
  EXPECT_TRUE(env.ok()) << env.status().ToString();

  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.8.9.10"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("192.168.1.1"));
  std::string host;
  int port = 0;
  ASSERT_TRUE(ParseListen("[::1]:8080", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseListen(":9000", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
}

TEST(ServerConfigTest, ProviderFaultsFromFlagEnvOrFile) {
  ServerFlags flags;
  flags.provider_faults = "error=0.05,latency=20ms,lost=0.01,seed=7";
  auto s = ResolveServerSettings(flags, Env({}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->provider_faults.all, (FaultRates{0.05, 0, 0.01, Duration{20}}));
  EXPECT_EQ(s->provider_faults.seed, 7u);
  EXPECT_EQ(s->sources["providerFaults"], "flag");

  auto env = ResolveServerSettings({}, Env({{"SPOTKEEPER_PROVIDER_FAULTS", "lost=0.5"}}));
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->provider_faults.all.lost, 0.5);

  auto none = ResolveServerSettings({}, Env({}));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->provider_faults.empty());
  EXPECT_EQ(none->sources["providerFaults"], "default");

  // In the file: the same text, or a mapping with actions as nested mappings.
  TempDir dir;
  ServerFlags text_file;
  text_file.config = WriteFile(dir, "providerFaults: \"error=0.1,RunInstances.error=0.5\"\n");
  auto t = ResolveServerSettings(text_file, Env({}));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->provider_faults.For("RunInstances").error, 0.5);
  ServerFlags map_file;
  map_file.config = WriteFile(dir,
                              "providerFaults:\n"
                              "  error: 0.1\n"
                              "  latency: 20ms\n"
                              "  seed: 9\n"
                              "  RunInstances: {error: 0.5, lost: 0.25}\n");
  auto m = ResolveServerSettings(map_file, Env({}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->provider_faults.all, (FaultRates{0.1, 0, 0, Duration{20}}));
  EXPECT_EQ(m->provider_faults.For("RunInstances"), (FaultRates{0.5, 0, 0.25, Duration{20}}));
  EXPECT_EQ(m->provider_faults.seed, 9u);
}

TEST(ServerConfigTest, BadProviderFaultsNameTheItemAndWhereItCameFrom) {
  ServerFlags flags;
  flags.provider_faults = "error=0.05,lantency=20ms";
  auto s = ResolveServerSettings(flags, Env({}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind("providerFaults (from flag): item 'lantency=20ms': "
                                       "unknown key 'lantency'",
                                       0),
            0u)
      << s.status().message();
  TempDir dir;
  ServerFlags file;
  file.config = WriteFile(dir, "providerFaults:\n  RunInstances: {error: [1]}\n");
  auto f = ResolveServerSettings(file, Env({}));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("RunInstances.error must be a number"), std::string::npos)
      << f.status().message();
  auto e = ResolveServerSettings({}, Env({{"SPOTKEEPER_PROVIDER_FAULTS", "lost=2"}}));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("(from env SPOTKEEPER_PROVIDER_FAULTS): item 'lost=2'"),
            std::string::npos)
      << e.status().message();
}

TEST(ServerConfigTest, StoreAndLeaseTtl) {
  auto d = ResolveServerSettings({}, Env({{"HOME", "/home/x"}}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->store, "sqlite");
  EXPECT_EQ(d->lease_ttl_seconds, 5);

  ServerFlags flags;
  flags.store = "etcd://127.0.0.1:2379,127.0.0.1:22379";
  auto s = ResolveServerSettings(flags, Env({{"SPOTKEEPER_LEASE_TTL", "3"}}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->store, "etcd://127.0.0.1:2379,127.0.0.1:22379");
  EXPECT_EQ(s->lease_ttl_seconds, 3);

  flags.store = "postgres://x";
  auto bad = ResolveServerSettings(flags, Env({}));
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("etcd://"), std::string::npos);
  flags.store = "etcd://127.0.0.1:2379";
  for (const char* ttl : {"1", "x", "301", ""}) {
    auto r = ResolveServerSettings(flags, Env({{"SPOTKEEPER_LEASE_TTL", ttl}}));
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << ttl;
  }
  ServerFlags sqlite_ttl;
  sqlite_ttl.lease_ttl = "5";
  auto r = ResolveServerSettings(sqlite_ttl, Env({}));
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("only applies"), std::string::npos);
}

TEST(ServerConfigTest, RetentionFromFlagEnvAndFile) {
  auto d = ResolveServerSettings({}, Env({{"HOME", "/home/x"}}));
  ASSERT_TRUE(d.ok());
  RetentionOptions defaults;
  EXPECT_EQ(d->retention.events_max_age, defaults.events_max_age);
  EXPECT_EQ(d->retention.events_max_count, 100'000);
  EXPECT_EQ(d->retention.journal_max_age, 7 * kDay);
  EXPECT_EQ(d->retention.journal_max_workflows, 10'000);
  EXPECT_EQ(d->retention.recovery_history, 50u);

  TempDir dir;
  std::string file = WriteFile(dir,
                               "eventsMaxAge: 12h\n"
                               "eventsMaxCount: 5000\n"
                               "journalMaxWorkflows: 0\n"
                               "recoveryHistory: 10\n");
  ServerFlags flags;
  flags.config = file;
  flags.journal_max_age = "2d";
  auto s = ResolveServerSettings(flags, Env({{"SPOTKEEPER_EVENTS_MAX_AGE", "90m"}}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->retention.events_max_age, Duration{90 * 60'000});  // env over file
  EXPECT_EQ(s->retention.events_max_count, 5000);
  EXPECT_EQ(s->retention.journal_max_age, 2 * kDay);
  EXPECT_EQ(s->retention.journal_max_workflows, 0);  // no limit
  EXPECT_EQ(s->retention.recovery_history, 10u);
  EXPECT_EQ(s->sources["journalMaxAge"], "flag");

  ServerFlags off;
  off.events_max_age = "0";
  auto o = ResolveServerSettings(off, Env({}));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->retention.events_max_age, Duration{0});

  for (const char* bad : {"30", "5x", "-1d", "d", "10m", "3651d", "1.5h", ""}) {
    ServerFlags f;
    f.events_max_age = bad;
    auto r = ResolveServerSettings(f, Env({}));
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("eventsMaxAge (from flag)"), std::string::npos)
        << r.status().message();
  }
  for (const char* bad : {"99", "x", "-5"}) {
    auto r = ResolveServerSettings({}, Env({{"SPOTKEEPER_EVENTS_MAX_COUNT", bad}}));
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
  auto history = ResolveServerSettings({}, Env({{"SPOTKEEPER_RECOVERY_HISTORY", "1001"}}));
  EXPECT_EQ(history.status().code(), Code::kInvalidArgument);
  EXPECT_NE(history.status().message().find("from 0 to 1000"), std::string::npos)
      << history.status().message();
}

}  // namespace
}  // namespace spotkeeper::api
