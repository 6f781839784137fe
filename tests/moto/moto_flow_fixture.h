// MotoFlowTest: MotoTest (one moto_server per test process, reset before each test) plus the
// controller over the ec2 provider against it (MotoControllerHarness). A test calls
// StartController(), optionally naming the SQS queue the provider takes events from.
#pragma once

#include <memory>
#include <string>

#include "moto/moto_controller_harness.h"
#include "moto/moto_fixture.h"

namespace spotkeeper {

class MotoFlowTest : public MotoTest {
 protected:
  // Builds the harness; without a queue the provider synthesises events by polling. `faults`
  // are injected into the controller's calls.
  void StartController(const std::string& events_queue_url = "", ProviderFaults faults = {}) {
    Ec2ProviderConfig c = BaseConfig();
    c.events_queue_url = events_queue_url;
    c.poll_interval = std::chrono::seconds(1);
    h_ = std::make_unique<testing::MotoControllerHarness>(MakeProvider(c), 1, std::move(faults));
    Status s = h_->Init();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The data volume (/dev/sdf) the SSI owns now ("" if none).
  std::string DataVolume(const std::string& ssi_id) {
    for (const ResourceRecord& r : h_->Current(ssi_id, "volume", "data")) {
      if (r.device_name == "/dev/sdf") return r.id;
    }
    return "";
  }

  // The volume moto has attached to `instance` at `device` ("" if none).
  static std::string VolumeAt(const Instance& instance, const std::string& device) {
    for (const InstanceBlockDevice& b : instance.block_devices) {
      if (b.device_name == device) return b.volume_id;
    }
    return "";
  }

  std::unique_ptr<testing::MotoControllerHarness> h_;
};

}  // namespace spotkeeper
