// ServingProbe: what "the workload serves" means for a health.serving check, and the probe that
// asks it. Three shapes, one per check:
//   tcp                a TCP connection to ip:port is accepted (nothing is sent);
//   tcp + send/expect  `send` is written, the reply is read (at most kServingReplyCap bytes) and
//                      must contain `expect` (ZooKeeper's "srvr" four-letter word);
//   http               GET http://ip:port/path answers `expect_status` with a body containing
//                      `expect` (etcd's /health says "health":"true" only with a leader).
// The caller decides where the probe runs: the ec2 provider from the controller's own network
// (AWS), the local cloud from a thread inside a VPC namespace.
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper {

// The most reply bytes a probe reads (tcp reply, or http body); the rest is not waited for.
inline constexpr size_t kServingReplyCap = 64 * 1024;

struct ServingProbe {
  enum class Kind { kTcp, kHttp };
  Kind kind = Kind::kTcp;
  int port = 0;
  std::string send;              // tcp: written once connected (empty: nothing is sent)
  std::string expect;            // tcp: the reply contains it; http: the body does (empty: any)
  std::string path = "/health";  // http
  int expect_status = 200;       // http

  // "tcp port 2379", "tcp port 2181 (send \"srvr\\n\", expect \"Mode: \")",
  // "http://<ip>:2379/health (expect 200, body containing \"...\")".
  std::string Describe(const std::string& ip) const;
  bool operator==(const ServingProbe&) const = default;
};

const char* ServingProbeKindName(ServingProbe::Kind kind);  // "tcp" | "http"

// Runs the probe against ip; the whole probe (connect, send, reply) takes at most `timeout`.
// OK when the workload serves. Otherwise kUnavailable with cloud_code "ConnectionRefused",
// "Timeout", "Unreachable" (connect), "UnexpectedReply" (the reply lacks `expect`, or the
// connection closed first) or "UnexpectedStatus" (http status), and a message naming what was
// asked and an excerpt of what came back; kInvalidArgument for an ip that is not IPv4
// dotted-quad or a port outside 1..65535.
// Thread safety: may run on any thread, several at once.
Status ProbeServing(const std::string& ip, const ServingProbe& probe, Duration timeout);

}  // namespace spotkeeper
