// EtcdStoreFixture: tests of code on EtcdStore share the binary's throwaway etcd (skipped,
// saying why, when etcd is not installed), each test under a key prefix of its own; Open()
// opens another store (another controller) on that prefix.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "provider/ec2/curl_http_client.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd_test_cluster.h"

namespace spotkeeper::store_testing {

class EtcdStoreFixture : public testing::Test {
 protected:
  void SetUp() override {
    if (EtcdBinary().empty()) {
      GTEST_SKIP() << "etcd is not installed (Debian's etcd-server, see scripts/deps.sh)";
    }
    std::string why;
    etcd_ = SharedEtcd(&why);
    ASSERT_NE(etcd_, nullptr) << why;
    prefix_ = UniquePrefix();
  }

  std::unique_ptr<EtcdStore> Open() {
    EtcdStoreOptions options;
    options.endpoints = etcd_->endpoints();
    options.prefix = prefix_;
    options.http = &http_;
    options.clock = &clock_;
    options.page_size = page_size_;
    auto opened = EtcdStore::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  EtcdTestCluster* etcd_ = nullptr;
  std::string prefix_;
  int64_t page_size_ = 1000;
  FakeClock clock_;
  CurlHttpClient http_;
};

}  // namespace spotkeeper::store_testing
