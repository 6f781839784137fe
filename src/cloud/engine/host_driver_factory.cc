#include "cloud/engine/host_driver_factory.h"

#include "cloud/host/fake/fake_host_driver.h"
#ifdef SK_HAVE_LINUX_HOST_DRIVER
#include "cloud/host/linux_host_driver.h"
#endif

namespace spotkeeper::cloud {

Result<std::unique_ptr<HostDriver>> MakeHostDriver(const std::string& kind,
                                                   const HostDriverOptions& options) {
  if (kind == "fake") return std::unique_ptr<HostDriver>(new FakeHostDriver());
  if (kind == "linux") {
#ifdef SK_HAVE_LINUX_HOST_DRIVER
    LinuxHostDriverOptions o;
    o.data_dir = options.data_dir;
    o.prefix = options.prefix;
    SK_ASSIGN_OR_RETURN(std::unique_ptr<LinuxHostDriver> d, LinuxHostDriver::Create(o));
    return std::unique_ptr<HostDriver>(std::move(d));
#else
    (void)options;
    return Unimplemented(
        "this spotkeeper was built without the Linux host driver (sk_cloud_host); use "
        "--host-driver fake, or rebuild with src/cloud/host");
#endif
  }
  return InvalidArgument("unknown host driver '" + kind + "' (linux | fake)");
}

}  // namespace spotkeeper::cloud
