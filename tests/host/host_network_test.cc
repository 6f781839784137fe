// LinuxHostDriver as root: VPC namespaces, ENIs moving between instances, RunInVpc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/host_tools.h"
#include "host/host_test_fixture.h"

namespace spotkeeper::cloud::testing {
namespace {

using NetworkTest = HostDriverTest;

constexpr Duration kGrace = std::chrono::seconds(5);

bool HostHasAddressIn(const std::string& net_prefix) {
  auto out = linuxhost::RunChecked({linuxhost::FindExecutable("ip"), "-j", "addr", "show"});
  EXPECT_OK(out);
  return out.ok() && out->find("\"" + net_prefix) != std::string::npos;
}

TEST_F(NetworkTest, TwoInstancesOnOneBridgePingEachOther) {
  MakeVpc();
  NicConfig a = Nic(10), b = Nic(11);
  ASSERT_OK(driver_->CreateNic(a));
  ASSERT_OK(driver_->CreateNic(b));
  Status s = driver_->StartInstance(Instance("i-a", a));
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = driver_->StartInstance(Instance("i-b", b));
  ASSERT_TRUE(s.ok()) << s.ToString();

  EXPECT_EQ(Sh("i-a", "ping -c 1 -W 2 " + b.ip + " >/dev/null"), 0);
  EXPECT_EQ(Sh("i-b", "ping -c 1 -W 2 " + a.ip + " >/dev/null"), 0);
  // The ENI is eth0 with its MAC and address; the gateway answers too.
  EXPECT_EQ(Sh("i-a", "[ \"$(cat /sys/class/net/eth0/address)\" = " + a.mac + " ]"), 0);
  EXPECT_EQ(Sh("i-a", "ip -4 -o addr show dev eth0 | grep -q ' " + a.ip + "/24 '"), 0);
  EXPECT_EQ(Sh("i-a", "ping -c 1 -W 2 " + a.gateway + " >/dev/null"), 0);
  EXPECT_EQ(Sh("i-a", "[ \"$(hostname)\" = host-i-a ]"), 0);
  // Nothing of the VPC in the host namespace.
  EXPECT_FALSE(HostHasAddressIn("10.7."));
}

TEST_F(NetworkTest, EniMovedFromAStoppedInstanceToANewOneKeepsMacAndIp) {
  MakeVpc();
  NicConfig moving = Nic(20), observer = Nic(30);
  ASSERT_OK(driver_->CreateNic(moving));
  ASSERT_OK(driver_->CreateNic(observer));
  ASSERT_OK(driver_->StartInstance(Instance("i-old", moving)));
  ASSERT_OK(driver_->StartInstance(Instance("i-obs", observer)));
  ASSERT_EQ(Sh("i-obs", "ping -c 1 -W 2 " + moving.ip + " >/dev/null"), 0);

  ASSERT_OK(driver_->StopInstance("i-old", kGrace));
  EXPECT_EQ(*driver_->GetInstanceState("i-old"), RuntimeState::kMissing);
  Status s = driver_->StartInstance(Instance("i-new", moving));
  ASSERT_TRUE(s.ok()) << s.ToString();

  // Seen from the third instance: the same IP answers, from the same MAC.
  EXPECT_EQ(Sh("i-obs", "ping -c 1 -W 2 " + moving.ip + " >/dev/null"), 0);
  EXPECT_EQ(Sh("i-obs", "grep -i '^" + moving.ip + " .* " + moving.mac + " ' /proc/net/arp"), 0);
  EXPECT_EQ(Sh("i-new", "[ \"$(cat /sys/class/net/eth0/address)\" = " + moving.mac + " ]"), 0);
}

TEST_F(NetworkTest, NicCallsAreIdempotentAndDeleteRemovesThePair) {
  MakeVpc();
  NicConfig n = Nic(40);
  ASSERT_OK(driver_->CreateNic(n));
  ASSERT_OK(driver_->CreateNic(n));
  ASSERT_OK(driver_->EnsureVpc({VpcId(), "10.7.0.0/16", "10.7.0.1"}));
  EXPECT_TRUE(*driver_->network().NicExists(n));
  ASSERT_OK(driver_->DeleteNic(n));
  EXPECT_FALSE(*driver_->network().NicExists(n));
  ASSERT_OK(driver_->DeleteNic(n));
  ASSERT_OK(driver_->DeleteVpc(VpcId()));
  ASSERT_OK(driver_->DeleteVpc(VpcId()));
  EXPECT_EQ(driver_->CreateNic(n).code(), Code::kFailedPrecondition);  // no VPC
}

TEST_F(NetworkTest, RunInVpcThreadReachesAnInstanceAndServesImds) {
  MakeVpc();
  NicConfig n = Nic(50);
  ASSERT_OK(driver_->CreateNic(n));
  // A one-line TCP server in the instance that greets every connection.
  const std::string server =
      "#!/bin/sh\n"
      "exec python3 -u -c \"\n"
      "import socket\n"
      "s = socket.socket()\n"
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
      "s.bind(('0.0.0.0', 7000))\n"
      "s.listen()\n"
      "print('listening', flush=True)\n"
      "while True:\n"
      "    c, _ = s.accept()\n"
      "    c.sendall(b'hello-from-instance')\n"
      "    c.close()\n"
      "\"\n";
  ASSERT_OK(driver_->StartInstance(Instance("i-srv", n, server)));
  ASSERT_TRUE(WaitForConsole("i-srv", "listening")) << ConsoleOf("i-srv");

  // A thread in the VPC namespace connects to the instance's port.
  std::string received;
  int listen_fd = -1;
  {
    auto thread = driver_->RunInVpc(VpcId(), [&] {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(7000);
      inet_pton(AF_INET, n.ip.c_str(), &addr.sin_addr);
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        char buf[64];
        ssize_t got = 0;
        pollfd p = {fd, POLLIN, 0};
        while (poll(&p, 1, 5000) == 1 && (got = read(fd, buf, sizeof buf)) > 0) {
          received.append(buf, static_cast<size_t>(got));
        }
      }
      close(fd);
      // And listens on the IMDS address, which only exists in the VPC namespace.
      listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in imds{};
      imds.sin_family = AF_INET;
      imds.sin_port = htons(8775);
      inet_pton(AF_INET, "169.254.169.254", &imds.sin_addr);
      if (bind(listen_fd, reinterpret_cast<sockaddr*>(&imds), sizeof imds) != 0 ||
          listen(listen_fd, 4) != 0) {
        close(listen_fd);
        listen_fd = -1;
      }
    });
    ASSERT_TRUE(thread.ok()) << thread.status().ToString();
  }  // joined
  EXPECT_EQ(received, "hello-from-instance");
  ASSERT_GE(listen_fd, 0) << "cannot listen on 169.254.169.254 in the VPC namespace";

  // The instance reaches the listener through its route to 169.254.169.254.
  std::atomic<bool> served{false};
  {
    auto server_thread = driver_->RunInVpc(VpcId(), [&] {
      pollfd p = {listen_fd, POLLIN, 0};
      if (poll(&p, 1, 20000) != 1) return;
      int c = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      const char reply[] = "imds-ok";
      served = write(c, reply, sizeof reply - 1) == static_cast<ssize_t>(sizeof reply - 1);
      close(c);
    });
    ASSERT_OK(server_thread);
    EXPECT_EQ(Sh("i-srv",
                 "python3 -c \"import socket; s = socket.create_connection(('169.254.169.254', "
                 "8775), 5); assert s.recv(16) == b'imds-ok'\""),
              0);
  }
  close(listen_fd);
  EXPECT_TRUE(served);
}

TEST_F(NetworkTest, RunInVpcOfAnUnknownVpcFails) {
  auto thread = driver_->RunInVpc("vpc-none", [] { ADD_FAILURE() << "ran outside a VPC"; });
  EXPECT_EQ(thread.status().code(), Code::kNotFound);
}

// The workload probe (HostDriver::ProbeServing) really connects from inside the VPC's namespace:
// refused before the instance's server listens, accepted once it does; a send/expect check
// (ZooKeeper's srvr) fails while the server answers "not currently serving" and passes once it
// answers "Mode: follower"; the host namespace still has no address in the VPC.
ServingProbe Port(int port) {
  ServingProbe p;
  p.port = port;
  return p;
}

TEST_F(NetworkTest, ProbeServingConnectsFromInsideTheVpc) {
  MakeVpc();
  NicConfig n = Nic(60);
  ASSERT_OK(driver_->CreateNic(n));
  // Listens on 7001 only after /tmp/go exists in the instance.
  const std::string server =
      "#!/bin/sh\n"
      "echo waiting\n"
      "while [ ! -e /tmp/go ]; do sleep 0.05; done\n"
      "exec python3 -u -c \"\n"
      "import socket\n"
      "s = socket.socket()\n"
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
      "s.bind(('0.0.0.0', 7001))\n"
      "s.listen()\n"
      "print('listening', flush=True)\n"
      "import os\n"
      "while True:\n"
      "    c, _ = s.accept()\n"
      "    c.settimeout(1)\n"
      "    try:\n"
      "        if c.recv(64):\n"
      "            q = os.path.exists('/tmp/quorum')\n"
      "            c.sendall(b'Mode: follower\\\\n' if q else b'This ZooKeeper instance is "
      "not currently serving requests\\\\n')\n"
      "    except OSError:\n"
      "        pass\n"
      "    c.close()\n"
      "\"\n";
  ASSERT_OK(driver_->StartInstance(Instance("i-probe", n, server)));
  ASSERT_TRUE(WaitForConsole("i-probe", "waiting")) << ConsoleOf("i-probe");

  Status refused = driver_->ProbeServing(VpcId(), n.ip, Port(7001), std::chrono::seconds(2));
  EXPECT_EQ(refused.code(), Code::kUnavailable) << refused.ToString();
  EXPECT_EQ(refused.cloud_code(), "ConnectionRefused") << refused.ToString();

  ASSERT_EQ(Sh("i-probe", "touch /tmp/go"), 0);
  ASSERT_TRUE(WaitForConsole("i-probe", "listening")) << ConsoleOf("i-probe");
  Status served = driver_->ProbeServing(VpcId(), n.ip, Port(7001), std::chrono::seconds(2));
  EXPECT_TRUE(served.ok()) << served.ToString();
  ServingProbe srvr = Port(7001);
  srvr.send = "srvr\n";
  srvr.expect = "Mode: ";
  Status alone = driver_->ProbeServing(VpcId(), n.ip, srvr, std::chrono::seconds(2));
  EXPECT_EQ(alone.cloud_code(), "UnexpectedReply") << alone.ToString();
  EXPECT_NE(alone.message().find("not currently serving"), std::string::npos) << alone.ToString();
  ASSERT_EQ(Sh("i-probe", "touch /tmp/quorum"), 0);
  Status member = driver_->ProbeServing(VpcId(), n.ip, srvr, std::chrono::seconds(2));
  EXPECT_TRUE(member.ok()) << member.ToString();

  EXPECT_FALSE(HostHasAddressIn("10.7."));
  EXPECT_FALSE(driver_->ProbeServing("vpc-none", n.ip, Port(7001), std::chrono::seconds(1)).ok());
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
