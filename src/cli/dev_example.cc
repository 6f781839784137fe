#include "cli/dev_example.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cloud/engine/cidr.h"

namespace spotkeeper::cli {
namespace {

bool Known(const LocalPlacement& p, const std::string& type) {
  return std::find(p.instance_types.begin(), p.instance_types.end(), type) !=
         p.instance_types.end();
}

// Every address of `ips` (a YAML sequence) is inside `cidr`.
bool AllInside(const YAML::Node& ips, const std::string& cidr) {
  auto block = cloud::Cidr::Parse(cidr);
  if (!block.ok() || !ips.IsSequence() || ips.size() == 0) return false;
  for (const auto& ip : ips) {
    auto addr = cloud::ParseIpv4(ip.as<std::string>(""));
    if (!addr.ok() || !block->Contains(*addr)) return false;
  }
  return true;
}

}  // namespace

Result<double> ParseInterruptionRate(const std::string& text) {
  if (text == "off" || text == "0") return 0.0;
  auto bad = [&] {
    return InvalidArgument("--interruptions '" + text +
                           "' is not a rate: give interruptions per running spot instance as "
                           "N/h, N/m or N/d (12/h: one every 5 minutes on average), or off");
  };
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 2 != text.size()) return bad();
  char* end = nullptr;
  std::string number = text.substr(0, slash);
  double n = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !(n >= 0) || n > 1e6) return bad();
  switch (text[slash + 1]) {
    case 'h':
      return n;
    case 'm':
      return n * 60;
    case 'd':
      return n / 24;
    default:
      return bad();
  }
}

Result<std::string> MapExampleToLocalCloud(const std::string& yaml, const LocalPlacement& p) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("example spec: ") + e.what());
  }
  if (!root.IsMap() || !root["compute"] || !root["compute"].IsMap()) {
    return InvalidArgument("example spec: not a mapping with a compute section");
  }
  if (p.instance_types.empty()) return InvalidArgument("no instance types in the local cloud");
  if (p.zones.empty()) return InvalidArgument("no zones in the local cloud");
  try {
    root["region"] = p.region;
    YAML::Node compute = root["compute"];
    size_t wanted = 1;
    if (compute["availabilityZones"] && compute["availabilityZones"].IsSequence()) {
      wanted = std::max<size_t>(1, compute["availabilityZones"].size());
    }
    YAML::Node zones(YAML::NodeType::Sequence);
    for (size_t i = 0; i < std::min(wanted, p.zones.size()); ++i) {
      YAML::Node zone;
      zone["name"] = p.zones[i].az;
      zone["subnetIds"].push_back(p.zones[i].subnet_id);
      zones.push_back(zone);
    }
    compute["availabilityZones"] = zones;
    if (compute["privateIps"] && !AllInside(compute["privateIps"], p.zones.front().cidr)) {
      compute.remove("privateIps");
    }

    YAML::Node types = compute["instanceTypes"];
    std::string fallback = p.instance_types.front();
    if (types.IsMap()) {
      if (types["ondemand"] && Known(p, types["ondemand"].as<std::string>())) {
        fallback = types["ondemand"].as<std::string>();
      }
      types["ondemand"] = fallback;
      YAML::Node spot(YAML::NodeType::Sequence);
      if (types["spot"] && types["spot"].IsSequence()) {
        for (const auto& t : types["spot"]) {
          if (Known(p, t.as<std::string>())) spot.push_back(t.as<std::string>());
        }
      }
      if (spot.size() == 0) spot.push_back(fallback);
      types["spot"] = spot;
    }

    YAML::Node launch = compute["launchSpecification"];
    launch["imageId"] = p.image_id;
    YAML::Node groups(YAML::NodeType::Sequence);
    groups.push_back(p.security_group);
    launch["securityGroupIds"] = groups;

  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("example spec: ") + e.what());
  }
  YAML::Emitter out;
  out << root;
  if (!out.good()) return Internal(std::string("emit spec: ") + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

namespace {

// Reads one RESP reply from `fd` (blocking, the socket has a receive timeout).
class RespReader {
 public:
  explicit RespReader(int fd) : fd_(fd) {}

  Result<std::string> Reply() {
    SK_ASSIGN_OR_RETURN(std::string line, Line());
    if (line.empty()) return Internal("redis: empty reply line");
    char kind = line[0];
    std::string rest = line.substr(1);
    if (kind == '+' || kind == ':') return rest;
    if (kind == '-') return "-" + rest;
    if (kind == '$') {
      long n = std::strtol(rest.c_str(), nullptr, 10);
      if (n < 0) return std::string("(nil)");
      SK_ASSIGN_OR_RETURN(std::string data, Bytes(static_cast<size_t>(n) + 2));
      return data.substr(0, static_cast<size_t>(n));
    }
    return Internal("redis: unsupported reply '" + line + "'");
  }

 private:
  Status Fill() {
    char buf[4096];
    ssize_t got = read(fd_, buf, sizeof buf);
    if (got == 0) return Unavailable("redis: connection closed");
    if (got < 0) return Unavailable(std::string("redis: read: ") + std::strerror(errno));
    buf_.append(buf, static_cast<size_t>(got));
    return OkStatus();
  }
  Result<std::string> Line() {
    size_t end;
    while ((end = buf_.find("\r\n")) == std::string::npos) SK_RETURN_IF_ERROR(Fill());
    std::string line = buf_.substr(0, end);
    buf_.erase(0, end + 2);
    return line;
  }
  Result<std::string> Bytes(size_t n) {
    while (buf_.size() < n) SK_RETURN_IF_ERROR(Fill());
    std::string data = buf_.substr(0, n);
    buf_.erase(0, n);
    return data;
  }

  int fd_;
  std::string buf_;
};

Result<std::vector<std::string>> Exchange(int fd,
                                          const std::vector<std::vector<std::string>>& cmds) {
  std::string request;
  for (const auto& argv : cmds) {
    request += "*" + std::to_string(argv.size()) + "\r\n";
    for (const auto& a : argv) request += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  }
  for (size_t off = 0; off < request.size();) {
    ssize_t w = write(fd, request.data() + off, request.size() - off);
    if (w <= 0) return Unavailable(std::string("redis: write: ") + std::strerror(errno));
    off += static_cast<size_t>(w);
  }
  RespReader reader(fd);
  std::vector<std::string> replies;
  for (size_t i = 0; i < cmds.size(); ++i) {
    SK_ASSIGN_OR_RETURN(std::string r, reader.Reply());
    replies.push_back(std::move(r));
  }
  return replies;
}

}  // namespace

Result<std::vector<std::string>> RedisCommands(cloud::HostDriver& driver, const std::string& vpc_id,
                                               const std::string& ip, int port,
                                               const std::vector<std::vector<std::string>>& cmds) {
  int fd = -1;
  std::string error;
  auto thread = driver.RunInVpc(vpc_id, [&] {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      error = std::string("socket: ") + std::strerror(errno);
      return;
    }
    timeval tv{2, 0};  // connect, read and write time out after 2 s
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, ip.c_str(), &to.sin_addr) != 1) {
      error = "bad address " + ip;
      close(s);
      return;
    }
    if (connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      error = "connect " + ip + ":" + std::to_string(port) + ": " + std::strerror(errno);
      close(s);
      return;
    }
    fd = s;
  });
  if (!thread.ok()) return thread.status();
  thread->reset();  // joins: fd and error are set
  if (fd < 0) return Unavailable("redis: " + error);
  auto replies = Exchange(fd, cmds);
  close(fd);
  return replies;
}

}  // namespace spotkeeper::cli
