// The server's settings and where each comes from: a command-line flag, else a SPOTKEEPER_*
// environment variable, else the YAML config file (--config / SPOTKEEPER_CONFIG), else the
// default.
//
//   flag                 env                          file key         default
//   --listen             SPOTKEEPER_LISTEN            listen           127.0.0.1:7780
//   --allow-remote       SPOTKEEPER_ALLOW_REMOTE      allowRemote      false
//   --data-dir           SPOTKEEPER_DATA_DIR          dataDir          ~/.spotkeeper
//   --provider           SPOTKEEPER_PROVIDER          provider         ec2   (sim | ec2)
//   --region             SPOTKEEPER_REGION            region           (the provider's)
//   --endpoint-url       SPOTKEEPER_ENDPOINT_URL      endpointUrl      (AWS)
//   --events-queue-url   SPOTKEEPER_EVENTS_QUEUE_URL  eventsQueueUrl   (poll instead)
//   --profile            SPOTKEEPER_PROFILE           profile          (default chain)
//   --log-format         SPOTKEEPER_LOG_FORMAT        logFormat        text  (text | json)
//   --log-level          SPOTKEEPER_LOG_LEVEL         logLevel         info
//   --sim-speed          SPOTKEEPER_SIM_SPEED         simSpeed         1     (sim only)
//   --provider-faults    SPOTKEEPER_PROVIDER_FAULTS   providerFaults   none  (testing: faults
//                                                     injected into provider calls; the file
//                                                     takes the text or a mapping)
//   --store              SPOTKEEPER_STORE             store            sqlite (sqlite |
//                                                     etcd://host:port,...: shared, HA)
//   --lease-ttl          SPOTKEEPER_LEASE_TTL         leaseTtl         5 s   (etcd only: the
//                                                     leader's lease; failover takes about it)
//   --events-max-age     SPOTKEEPER_EVENTS_MAX_AGE    eventsMaxAge     30d   (retention, see
//   --events-max-count   SPOTKEEPER_EVENTS_MAX_COUNT  eventsMaxCount   100000 docs/retention.md;
//   --journal-max-age    SPOTKEEPER_JOURNAL_MAX_AGE   journalMaxAge    7d     0 turns a rule off)
//   --journal-max-workflows SPOTKEEPER_JOURNAL_MAX_WORKFLOWS journalMaxWorkflows 10000
//   --recovery-history   SPOTKEEPER_RECOVERY_HISTORY  recoveryHistory  50    (per SSI)
//   (file only)                                       providerConfig   {}    (more ec2 keys)
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/status.h"
#include "controller/retention_options.h"
#include "provider/provider_faults.h"

namespace spotkeeper::api {

struct ServerSettings {
  std::string listen = "127.0.0.1:7780";
  bool allow_remote = false;
  std::string data_dir;  // default: DefaultDataDir()
  std::string provider = "ec2";
  std::string region;
  std::string endpoint_url;
  std::string events_queue_url;
  std::string profile;
  std::string log_format = "text";
  std::string log_level = "info";
  double sim_speed = 1;
  // Faults added to every provider call (FaultInjectingProvider); empty: none.
  ProviderFaults provider_faults;
  // "sqlite" or "etcd://host:port,..." (several controllers, one leader: docs/ha.md).
  std::string store = "sqlite";
  int64_t lease_ttl_seconds = 5;
  nlohmann::json provider_config = nlohmann::json::object();
  // How much history the store keeps (the other RetentionOptions fields keep their defaults).
  RetentionOptions retention;
  std::string config_file;  // the file read, "" when none

  // Where each setting came from ("flag", "env", "file:<path>", "default"), by file key.
  std::map<std::string, std::string> sources;

  // Derived from `listen`.
  std::string host;
  int port = 0;
};

// Flags as given on the command line (unset = not given).
struct ServerFlags {
  std::optional<std::string> config, listen, data_dir, provider, region, endpoint_url,
      events_queue_url, profile, log_format, log_level, provider_faults, store, lease_ttl,
      events_max_age, events_max_count, journal_max_age, journal_max_workflows, recovery_history;
  std::optional<bool> allow_remote;
  std::optional<double> sim_speed;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvLookup();

// Resolves and checks every setting. InvalidArgument naming the setting and its source for
// bad values, unknown file keys (with a suggestion) and a non-loopback listen address without
// allowRemote.
Result<ServerSettings> ResolveServerSettings(const ServerFlags& flags, const EnvLookup& env);

// "127.0.0.1:7780", "[::1]:7780", "localhost:0" -> host and port.
Status ParseListen(const std::string& listen, std::string* host, int* port);
// A retention age: "0" (off) or a whole number with a unit s, m, h or d ("30d", "12h").
// InvalidArgument saying the form otherwise.
Result<Duration> ParseRetentionAge(const std::string& text);
// 127.0.0.0/8, ::1 and localhost.
bool IsLoopbackHost(const std::string& host);

}  // namespace spotkeeper::api
