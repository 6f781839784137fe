// A real workload: Redis with its data on a volume and its address on an ENI moves to a new
// instance, and its keys come along.
#include <unistd.h>

#include "host/host_test_fixture.h"

namespace spotkeeper::cloud::testing {
namespace {

using RedisTest = HostDriverTest;

// Waits inside `client` (bounded: 100 tries 0.1 s apart) until Redis at `ip` answers.
std::string WaitForRedis(const std::string& ip) {
  return "for i in $(seq 100); do redis-cli -h " + ip +
         " ping 2>/dev/null | grep -q PONG && exit 0; sleep 0.1; done; exit 1";
}

TEST_F(RedisTest, AKeySurvivesTheMoveOfVolumeAndEniToAnotherInstance) {
  if (access("/usr/bin/redis-server", X_OK) != 0 || access("/usr/bin/redis-cli", X_OK) != 0) {
    GTEST_SKIP() << "needs redis-server and redis-cli on the host (apt-get install redis-server)";
  }
  MakeVpc();
  NicConfig server_nic = Nic(10), client_nic = Nic(20);
  ASSERT_OK(driver_->CreateNic(server_nic));
  ASSERT_OK(driver_->CreateNic(client_nic));
  CreateVolume("vol-redis");
  const std::string user_data =
      "#!/bin/sh\n"
      "exec redis-server --dir /mnt/sdf --appendonly yes --appendfsync always --save '' "
      "--bind 0.0.0.0 --protected-mode no --port 6379\n";
  InstanceConfig first = Instance("i-redis-1", server_nic, user_data);
  first.volumes = {{"vol-redis", "/dev/sdf"}};
  ASSERT_OK(driver_->StartInstance(first));
  ASSERT_OK(driver_->StartInstance(Instance("i-client", client_nic)));

  ASSERT_EQ(Sh("i-client", WaitForRedis(server_nic.ip)), 0) << ConsoleOf("i-redis-1");
  ASSERT_EQ(Sh("i-client", "redis-cli -h " + server_nic.ip + " SET spot keeper | grep -q OK"), 0);

  // The replacement: the old instance stops (Redis gets SIGTERM), a new one starts with the
  // same ENI and volume.
  auto stopped_at = std::chrono::steady_clock::now();
  ASSERT_OK(driver_->StopInstance("i-redis-1", std::chrono::seconds(10)));
  InstanceConfig second = Instance("i-redis-2", server_nic, user_data);
  second.volumes = {{"vol-redis", "/dev/sdf"}};
  ASSERT_OK(driver_->StartInstance(second));
  ASSERT_EQ(Sh("i-client", WaitForRedis(server_nic.ip)), 0) << ConsoleOf("i-redis-2");
  auto serving = std::chrono::steady_clock::now() - stopped_at;
  EXPECT_EQ(Sh("i-client", "[ \"$(redis-cli -h " + server_nic.ip + " GET spot)\" = keeper ]"), 0);
  EXPECT_NE(ConsoleOf("i-redis-1").find("Redis is now ready to exit"), std::string::npos)
      << ConsoleOf("i-redis-1");
  std::cout << "redis: stop + start on the same ENI and volume, serving again after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(serving).count() << " ms\n";
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
